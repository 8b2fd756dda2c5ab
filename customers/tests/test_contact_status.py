import pytest

from customers import contact_status
from customers.api.v2_contact import v2_contacts
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_without_a_provider_every_contact_is_subscribed(monkeypatch):
    monkeypatch.setattr(contact_status, "_provider", None)
    customer = CustomerFactory(data_fields={})
    [contact] = v2_contacts([customer])
    assert contact == {
        "id": customer.pk,
        "email": customer.email,
        "optInType": "Unknown",
        "emailType": "Html",
        "dataFields": None,
        "status": "Subscribed",
    }


def test_a_registered_provider_decides_the_status(monkeypatch):
    monkeypatch.setattr(contact_status, "_provider", None)
    first, second = CustomerFactory(), CustomerFactory(data_fields={"FIRSTNAME": "Ada"})
    contact_status.register_status_provider(lambda customers: {first.pk: "HardBounced"})
    contacts = v2_contacts([first, second])
    assert [c["status"] for c in contacts] == ["HardBounced", "Subscribed"]
    assert contacts[1]["dataFields"] == [{"key": "FIRSTNAME", "value": "Ada"}]
