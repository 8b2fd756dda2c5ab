import pytest

from customers.models import ConsentEvent
from customers.tests.factories import CustomerFactory

from .factories import CategoryFactory, PreferenceFactory


@pytest.fixture
def customer(organisation):
    return CustomerFactory(organisation=organisation, email="ada@example.com")


@pytest.fixture
def category(organisation):
    return CategoryFactory(organisation=organisation, public_name="Newsletters", order=0)


@pytest.fixture
def preference(organisation, category):
    return PreferenceFactory(organisation=organisation, category=category, public_name="Weekly")


@pytest.fixture
def foreign_preference(other_organisation):
    return PreferenceFactory(organisation=other_organisation, public_name="Theirs")


def opt_in_events(customer=None):
    events = ConsentEvent.objects.filter(kind="preference.opt_in")
    if customer is not None:
        events = events.filter(customer=customer)
    return list(events.order_by("id").values_list("target", "old_value", "new_value", "source"))
