from django.urls import path

from .api import marketing_preferences, v2

# Routes of this app: the service's own API (mounted under /consent/v1/) and vendor dialect routes
# (mounted at the site root, at their documented paths). Path parameters carry the seeds' names
# (customerId, contactIdentifier, …) so that the OpenAPI schema names them as the seeds do.
consent_v1_urlpatterns: list = []
dialect_urlpatterns = [
    # Seed 000: customer marketing preferences.
    path(
        "customers/customers/<str:customerId>/marketing-preferences",
        marketing_preferences.MarketingPreferenceListView.as_view(),
        name="marketing-preferences",
    ),
    path(
        "customers/customers/<str:customerId>/marketing-preferences/<str:marketingPreferenceId>",
        marketing_preferences.MarketingPreferenceDetailView.as_view(),
        name="marketing-preference",
    ),
    # Seed 002: v2 preferences.
    path("v2/preferences", v2.V2PreferenceListView.as_view(), name="v2-preferences"),
    path(
        "v2/preferences/modified-since/<path:date>",
        v2.V2PreferencesModifiedSinceView.as_view(),
        name="v2-preferences-modified-since",
    ),
    path(
        "v2/preferences/<str:id>",
        v2.V2PreferenceDetailView.as_view(),
        name="v2-preference",
    ),
    path(
        "v2/contacts/with-preference/<str:preferenceId>",
        v2.V2ContactsWithPreferenceView.as_view(),
        name="v2-contacts-with-preference",
    ),
    path(
        "v2/contacts/with-preference/<str:preferenceId>/opt-ins-since/<path:date>",
        v2.V2ContactsOptInsSinceView.as_view(),
        name="v2-contacts-opt-ins-since",
    ),
    path(
        "v2/contacts/<str:contactIdentifier>/preferences",
        v2.V2ContactPreferencesView.as_view(),
        name="v2-contact-preferences",
    ),
]
