"""customers.services.customer_merge_data_fields: one locked merge, one ledger event per change."""

import pytest

from customers import services
from customers.ledger import Provenance, Source
from customers.models import ConsentEvent
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

PROVENANCE = Provenance(source=Source.API, detail="test")


def test_it_merges_given_keys_and_keeps_the_others():
    customer = CustomerFactory(data_fields={"FIRSTNAME": "Jo", "TOWN": "Leeds"})
    changed = services.customer_merge_data_fields(
        customer=customer, data_fields={"TOWN": "York", "AGE": 40}, provenance=PROVENANCE
    )
    customer.refresh_from_db()
    assert changed is True
    assert customer.data_fields == {"FIRSTNAME": "Jo", "TOWN": "York", "AGE": 40}


def test_it_records_the_field_name_never_the_values():
    customer = CustomerFactory()
    services.customer_merge_data_fields(
        customer=customer, data_fields={"SECRET": "value"}, provenance=PROVENANCE
    )
    event = ConsentEvent.objects.get(customer=customer)
    assert (event.kind, event.target, event.new_value) == (
        "customer.profile",
        "updated",
        ["data_fields"],
    )


def test_it_writes_nothing_when_nothing_changes():
    customer = CustomerFactory(data_fields={"TOWN": "York"})
    changed = services.customer_merge_data_fields(
        customer=customer, data_fields={"TOWN": "York"}, provenance=PROVENANCE
    )
    assert changed is False
    assert not ConsentEvent.objects.exists()
