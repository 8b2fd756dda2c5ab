from django.urls import path

from . import pages
from .api import email_events, loyalty, v2

# The service's own API (DESIGN §5c), mounted under /consent/v1/.
consent_v1_urlpatterns = [
    path("email-events", email_events.EmailEventsView.as_view(), name="service-email-events"),
    path(
        "email-events/sendgrid",
        email_events.SendGridEventsView.as_view(),
        name="service-email-events-sendgrid",
    ),
]

# Vendor dialect routes and hosted pages, mounted at the site root at their documented paths.
dialect_urlpatterns = [
    path(
        "v2/contacts/unsubscribe",
        v2.UnsubscribeView.as_view(),
        name="v2-contacts-unsubscribe",
    ),
    path(
        "v2/contacts/suppress-contacts",
        v2.SuppressContactsView.as_view(),
        name="v2-contacts-suppress",
    ),
    path(
        "v2/contacts/resubscribe",
        v2.ResubscribeView.as_view(),
        name="v2-contacts-resubscribe",
    ),
    path(
        "v2/contacts/resubscribe-with-no-challenge",
        v2.ResubscribeWithNoChallengeView.as_view(),
        name="v2-contacts-resubscribe-no-challenge",
    ),
    path(
        "v2/contacts/suppressed-since/<str:date>",
        v2.SuppressedSinceView.as_view(),
        name="v2-contacts-suppressed-since",
    ),
    path(
        "v2/contacts/unsubscribed-since/<str:date>",
        v2.UnsubscribedSinceView.as_view(),
        name="v2-contacts-unsubscribed-since",
    ),
    path(
        "v2/contacts/<str:email>/subscriptions",
        v2.ContactSubscriptionsView.as_view(),
        name="v2-contact-subscriptions",
    ),
    path(
        "client/users/<str:correlation_id>/profile/marketing-subscription",
        loyalty.MarketingSubscriptionView.as_view(),
        name="loyalty-marketing-subscription",
    ),
    path(
        "pages/resubscribe/<str:token>",
        pages.resubscribe_confirm,
        name="subscriptions-resubscribe-confirm",
    ),
]
