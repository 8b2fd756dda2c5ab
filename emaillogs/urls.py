from django.urls import path

from .api import customers_logs

# Routes of this app: the service's own API (mounted under /consent/v1/) and vendor dialect routes
# (mounted at the site root, at their documented paths).
consent_v1_urlpatterns: list = []
dialect_urlpatterns: list = []

# Seed 004 (customers API of Sendwithus), beside customers.urls.seed_004_urlpatterns: mounted at
# the site root and under /api/v1/ by config.urls.
seed_004_urlpatterns = [
    path(
        "customers/<str:email>/logs",
        customers_logs.CustomersLogsView.as_view(),
        name="customers-logs",
    ),
    # Not in the seed document; the Sendwithus clients' get_log().
    path("logs/<str:log_id>", customers_logs.LogDetailView.as_view(), name="log-detail"),
]
