from django.urls import path

from .api import customers_logs

# Routes of this app: the service's own API (mounted under /consent/v1/) and vendor dialect routes
# (mounted at the site root, at their documented paths).
consent_v1_urlpatterns: list = []
dialect_urlpatterns = [
    path(
        "customers/<str:email>/logs",
        customers_logs.CustomersLogsView.as_view(),
        name="customers-logs",
    ),
]
