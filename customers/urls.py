from django.urls import path

from .api import customers_dialect, service

# The service's own API (DESIGN §5), mounted under /consent/v1/.
consent_v1_urlpatterns = [
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
    path(
        "customers/<str:customer_uuid>/links",
        service.CustomerLinksView.as_view(),
        name="service-customer-links",
    ),
    path(
        "customers/<str:customer_uuid>/export",
        service.CustomerExportView.as_view(),
        name="service-customer-export",
    ),
]

# Vendor dialect routes of this app, mounted at the site root at their documented paths.
dialect_urlpatterns: list = []

# Seed 004 (customers API of Sendwithus); with emaillogs.urls.seed_004_urlpatterns these are
# mounted twice by config.urls: at the site root and under /api/v1/ for the Sendwithus clients.
seed_004_urlpatterns = [
    path("customers", customers_dialect.CustomersCreateView.as_view(), name="customers-create"),
    path(
        "customers/<str:email>",
        customers_dialect.CustomersDetailView.as_view(),
        name="customers-detail",
    ),
]
