"""Fixtures of the hosted pages' tests: a customer, topics in two categories, their links."""

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from customers import links
from customers.models import ConsentEvent
from customers.tests.factories import CustomerFactory
from preferences.models import PreferenceOptIn
from preferences.tests.factories import CategoryFactory, PreferenceFactory
from subscriptions.models import ChannelSubscription, Suppression


@dataclass
class Topics:
    digest: object
    updates: object
    discounts: object
    football: object  # outside any category
    hidden: object  # not public


@pytest.fixture
def customer(organisation):
    return CustomerFactory(
        organisation=organisation,
        email="Ada@Example.com",
        phone="+442071838750",
        locale="en-GB",
    )


@pytest.fixture
def topics(organisation):
    newsletters = CategoryFactory(organisation=organisation, public_name="Newsletters", order=0)
    offers = CategoryFactory(organisation=organisation, public_name="Offers", order=1)
    return Topics(
        digest=PreferenceFactory(category=newsletters, public_name="Weekly digest", order=0),
        updates=PreferenceFactory(category=newsletters, public_name="Product updates", order=1),
        discounts=PreferenceFactory(category=offers, public_name="Discounts", order=0),
        football=PreferenceFactory(organisation=organisation, public_name="Football", order=2),
        hidden=PreferenceFactory(category=offers, public_name="Staff only", is_public=False),
    )


def path_of(url: str) -> str:
    return urlsplit(url).path


def page_path(page: str, customer) -> str:
    token = links.sign_link_token(
        page, organisation_id=customer.organisation_id, customer_uuid=customer.uuid
    )
    return f"/pages/{page}/{token}"


@pytest.fixture
def centre_path(customer):
    return page_path(links.PREFERENCE_CENTRE, customer)


@pytest.fixture
def unsubscribe_path(customer):
    return page_path(links.UNSUBSCRIBE, customer)


def events():
    """The ledger as comparable tuples, oldest first."""
    return list(
        ConsentEvent.objects.order_by("id").values_list(
            "customer_id", "kind", "target", "old_value", "new_value", "source"
        )
    )


def snapshot():
    """Every piece of consent state the pages can touch, to assert that nothing changed."""
    return (
        events(),
        sorted(PreferenceOptIn.objects.values_list("customer_id", "preference_id", "opted_in")),
        sorted(Suppression.objects.values_list("address_key", "reason")),
        sorted(ChannelSubscription.objects.values_list("customer_id", "channel", "status")),
    )
