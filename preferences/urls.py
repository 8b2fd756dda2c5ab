from django.urls import path, register_converter

from .api import marketing_preferences, v2, v2_contacts


class ContactIdentifierConverter:
    """A v2 contact id (digits) or email address (has an @), so that /v2/contacts/{identifier}
    never shadows the named operations beside it (/v2/contacts/unsubscribe, …)."""

    regex = r"[0-9]+|[^/]*@[^/]*"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(ContactIdentifierConverter, "contact")

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
    # The singular alias the vendor's clients and e-commerce connector call.
    path(
        "v2/contact/<str:contactIdentifier>/preferences",
        v2.V2ContactPreferencesView.as_view(),
        name="v2-contact-preferences-singular",
    ),
    # Contact operations around seed 002 (the vendor's v2 contacts excerpt).
    path("v2/contacts", v2_contacts.V2ContactCreateView.as_view(), name="v2-contacts"),
    path(
        "v2/contacts/with-consent-and-preferences",
        v2_contacts.V2ContactWithConsentAndPreferencesCreateView.as_view(),
        name="v2-contacts-with-consent-and-preferences",
    ),
    path(
        "v2/contacts/<contact:contactIdentifier>",
        v2_contacts.V2ContactDetailView.as_view(),
        name="v2-contact",
    ),
    path(
        "v2/contacts/<contact:contactIdentifier>/with-consent",
        v2_contacts.V2ContactWithConsentView.as_view(),
        name="v2-contact-with-consent",
    ),
    path(
        "v2/contacts/<contact:contactIdentifier>/with-consent-and-preferences",
        v2_contacts.V2ContactWithConsentAndPreferencesUpdateView.as_view(),
        name="v2-contact-with-consent-and-preferences",
    ),
]
