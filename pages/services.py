"""Every write of the hosted pages, each through the preferences and subscriptions services.

The pages own no state: a save of the preference centre is the sum of the domain services'
writes in one transaction, each of which records its own ledger events (source `hosted page`).
"""

from dataclasses import dataclass

from django.db import transaction

from customers import links
from customers.ledger import Provenance
from customers.models import Customer
from preferences import services as preference_services
from subscriptions import services as subscription_services
from subscriptions.models import ChannelSubscription, Suppression

from .selectors import PreferenceCentre


@dataclass(frozen=True)
class PreferenceCentreChoice:
    """What the person ticked: every shown topic, and email / SMS when they were shown."""

    topics: dict[int, bool]
    email: bool | None = None
    sms: bool | None = None


@dataclass(frozen=True)
class SaveResult:
    # A double opt-in email went out: the address comes back only when its owner confirms.
    confirmation_sent: bool = False


@transaction.atomic
def preference_centre_save(
    *,
    customer: Customer,
    shown: PreferenceCentre,
    choice: PreferenceCentreChoice,
    provenance: Provenance,
) -> SaveResult:
    """Apply a preference-centre form in one transaction; one ledger event per effective change.

    `shown` is the state the form was built from: a toggle is applied only when it differs, so
    an untouched SMS switch of a customer with no subscription row writes nothing. Turning email
    back on lifts an `Unsubscribed` suppression at once; any other reason (a bounce, a
    complaint, the organisation's own suppression) sends the double opt-in email instead.
    """
    preference_services.preference_opt_ins_set(
        customer=customer,
        states={pk: on for pk, on in choice.topics.items() if pk in shown.topic_ids},
        provenance=provenance,
    )
    confirmation_sent = False
    if shown.has_email and choice.email is not None and choice.email != shown.email_on:
        if choice.email:
            confirmation_sent = _email_back_on(customer, shown.email_suppression, provenance)
        else:
            subscription_services.address_unsubscribe(
                organisation=customer.organisation_id,
                email=customer.email_key,
                provenance=provenance,
            )
    if shown.has_phone and choice.sms is not None and choice.sms != shown.sms_opted_in:
        status = ChannelSubscription.Status
        subscription_services.channel_subscriptions_set(
            customer=customer,
            statuses={
                ChannelSubscription.Channel.SMS: status.OPT_IN if choice.sms else status.OPT_OUT
            },
            provenance=provenance,
        )
    return SaveResult(confirmation_sent=confirmation_sent)


def _email_back_on(customer: Customer, reason: str | None, provenance: Provenance) -> bool:
    """Lift the person's own unsubscribe, or challenge; True when a confirmation email went out."""
    if reason == Suppression.Reason.UNSUBSCRIBED:
        try:
            subscription_services.contact_resubscribe_without_challenge(
                organisation=customer.organisation_id,
                email=customer.email_key,
                data_fields=None,
                provenance=provenance,
            )
            return False
        except subscription_services.ResubscribeRefused:
            pass  # a bounce or complaint arrived meanwhile: only the challenge lifts it
    subscription_services.contact_resubscribe_request(
        organisation=customer.organisation_id,
        email=customer.email_key,
        data_fields=None,
        locale=customer.locale,
        # After confirming, the person lands back on their preference centre.
        return_url=links.page_url(
            links.PREFERENCE_CENTRE,
            links.sign_link_token(
                links.PREFERENCE_CENTRE,
                organisation_id=customer.organisation_id,
                customer_uuid=customer.uuid,
            ),
        ),
        provenance=provenance,
    )
    return True


@transaction.atomic
def customer_unsubscribe(*, customer: Customer, provenance: Provenance) -> None:
    """Suppress the customer's address as `Unsubscribed` (an address already on the list keeps
    its reason and writes nothing, so a replayed one-click POST changes nothing)."""
    if not customer.email_key:
        return
    subscription_services.address_unsubscribe(
        organisation=customer.organisation_id, email=customer.email_key, provenance=provenance
    )
