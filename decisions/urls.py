from django.urls import path

from .api import decisions

# The service's own API (DESIGN §5a), mounted under /consent/v1/.
consent_v1_urlpatterns = [
    path("decisions", decisions.DecisionsView.as_view(), name="service-decisions"),
]

# No vendor dialect routes: decisions are the service's own question.
dialect_urlpatterns: list = []
