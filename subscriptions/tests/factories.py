import factory
from django.utils import timezone

from customers.normalisation import address_key, normalise_email
from customers.tests.factories import CustomerFactory, OrganisationFactory
from subscriptions.models import ChannelSubscription, Suppression


class SuppressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suppression

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"suppressed{n}@example.com")
    address_key = factory.LazyAttribute(lambda o: address_key(normalise_email(o.email)))
    reason = Suppression.Reason.UNSUBSCRIBED
    date_removed = factory.LazyFunction(timezone.now)


class ChannelSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelSubscription

    customer = factory.SubFactory(CustomerFactory)
    channel = ChannelSubscription.Channel.EMAIL
    programme = ChannelSubscription.EMAIL_PROGRAMME
    status = ChannelSubscription.Status.OPT_IN


def email_status(customer) -> str:
    """The address's suppression reason, or "Subscribed": the one lookup decisions use too."""
    from subscriptions.selectors import suppression_reason_of

    return (
        suppression_reason_of(organisation=customer.organisation_id, email=customer.email)
        or "Subscribed"
    )
