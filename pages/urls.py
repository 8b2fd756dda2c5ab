from django.urls import path

from customers import links

from . import views

# The service's own API (mounted under /consent/v1/): nothing of this app.
consent_v1_urlpatterns: list = []

# Hosted pages, mounted at the site root. /pages/<page>/<token> is what customers.links builds.
dialect_urlpatterns = [
    path(
        f"pages/{links.PREFERENCE_CENTRE}/<str:token>",
        views.preference_centre,
        name="pages-preference-centre",
    ),
    path(f"pages/{links.UNSUBSCRIBE}/<str:token>", views.unsubscribe, name="pages-unsubscribe"),
]
