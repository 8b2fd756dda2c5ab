from django.urls import path

from .api import optout

# The service's own API (mounted under /consent/v1/): nothing of this app yet.
consent_v1_urlpatterns: list = []

# Seed 003 at its documented path (mounted at the site root).
dialect_urlpatterns = [
    path(
        "communications/department/<str:department_uuid>/optoutstatus",
        optout.OptOutStatusView.as_view(),
        name="optout-status",
    ),
]
