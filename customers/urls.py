from django.urls import path

from .api import service

# The service's own API (DESIGN §5), mounted under /api/v1/.
api_v1_urlpatterns = [
    path(
        "customers/<str:customer_uuid>",
        service.CustomerDetailView.as_view(),
        name="service-customer",
    ),
    path(
        "customers/<str:customer_uuid>/consent-events",
        service.CustomerConsentHistoryView.as_view(),
        name="service-customer-consent-events",
    ),
]

# Vendor dialect routes of this app, mounted at the site root at their documented paths.
dialect_urlpatterns: list = []
