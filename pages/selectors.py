"""Reads of the hosted pages: who a link names, and what their preference centre shows."""

from dataclasses import dataclass, field

from customers import links
from customers.models import Customer
from preferences.selectors import preference_tree_of_contact
from subscriptions.models import ChannelSubscription, Suppression
from subscriptions.selectors import suppression_for_address


def customer_for_link(page: str, token: str) -> Customer:
    """The (not erased) customer a link names, with their organisation (one query).

    Raises links.LinkForged for a token that is not ours for this page or that names nobody
    (an erased or deleted customer), links.LinkExpired for one past its page's lifetime.
    """
    subject = links.read_link_token(page, token)
    customer = (
        Customer.objects.live()
        .select_related("organisation")
        .filter(organisation_id=subject.organisation_id, uuid=subject.customer_uuid)
        .first()
    )
    if customer is None:
        raise links.LinkForged("The link names no customer.")
    return customer


@dataclass
class Topic:
    id: int
    name: str
    opted_in: bool


@dataclass
class TopicGroup:
    name: str | None  # None: topics outside any category
    topics: list[Topic] = field(default_factory=list)


@dataclass
class PreferenceCentre:
    groups: list[TopicGroup]
    has_email: bool
    # The address's suppression reason, None when it may be mailed.
    email_suppression: str | None
    has_phone: bool
    sms_opted_in: bool

    @property
    def email_on(self) -> bool:
        return self.has_email and self.email_suppression is None

    @property
    def topic_ids(self) -> set[int]:
        return {topic.id for group in self.groups for topic in group.topics}


def preference_centre(customer: Customer) -> PreferenceCentre:
    """What the customer's preference centre shows (four queries whatever the number of topics).

    Only public preferences show, grouped by their (public) category in the organisation's
    order; preferences outside any category come last, in one group. No opt-in row means
    opted out; no SMS subscription row means off.
    """
    groups, loose = [], TopicGroup(name=None)
    for node in preference_tree_of_contact(
        organisation=customer.organisation_id, customer=customer
    ):
        item = node.preference
        if not item.is_public:
            continue
        if item.is_preference:
            loose.topics.append(Topic(item.pk, item.public_name, bool(node.opted_in)))
            continue
        group = TopicGroup(name=item.public_name)
        for child in node.children:
            if child.preference.is_public:
                group.topics.append(
                    Topic(child.preference.pk, child.preference.public_name, bool(child.opted_in))
                )
        if group.topics:
            groups.append(group)
    if loose.topics:
        groups.append(loose)
    suppression: Suppression | None = None
    if customer.email_key:
        suppression = suppression_for_address(
            organisation=customer.organisation_id, email=customer.email_key
        )
    sms_opted_in = False
    if customer.phone:
        # The upsert target's unique index (channel_subscription_unique) serves this.
        sms_opted_in = ChannelSubscription.objects.filter(
            customer=customer,
            channel=ChannelSubscription.Channel.SMS,
            programme=ChannelSubscription.SMS_PROGRAMME,
            status=ChannelSubscription.Status.OPT_IN,
        ).exists()
    return PreferenceCentre(
        groups=groups,
        has_email=bool(customer.email_key),
        email_suppression=suppression.reason if suppression else None,
        has_phone=bool(customer.phone),
        sms_opted_in=sms_opted_in,
    )
