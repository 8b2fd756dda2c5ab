"""Erasure keeps opt-out statuses but not the addresses (DESIGN §7, rule R3)."""

import pytest

from customers.ledger import Provenance
from customers.models import ConsentEvent
from customers.services import customer_erase
from customers.tests.factories import CustomerFactory
from optout.models import CommunicationStatus
from optout.tests.test_optoutstatus import body, post, sms, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def stopped_customer(rw_client, department, organisation):
    """A customer who replied STOP from +12025550143."""
    customer = CustomerFactory(organisation=organisation)
    response = post(
        rw_client, department, body(sms("(202) 555-0143", False), customerUUID=str(customer.uuid))
    )
    assert response.status_code == 200, response.content
    return customer


def erase(customer):
    customer_erase(customer=customer, provenance=Provenance(source="system"))


def test_erasing_a_customer_hashes_their_addresses(stopped_customer):
    erase(stopped_customer)
    status = CommunicationStatus.objects.get()
    assert "2025550143" not in status.communication_value
    assert status.communication_value.startswith("erased:")
    assert status.ok_to_communicate is False


def test_an_erased_customers_stop_still_answers_for_the_number(
    rw_client, department, stopped_customer
):
    erase(stopped_customer)
    response = rw_client.get(url(department), {"communicationValue": "+12025550143"})
    [status] = response.json()["communicationStatuses"]
    assert (status["communicationValue"], status["okToCommunicate"]) == ("+12025550143", False)


def test_naming_an_erased_number_again_finds_its_status(rw_client, department, stopped_customer):
    erase(stopped_customer)
    response = post(rw_client, department, body(sms("+1 202 555 0143", False)))
    assert response.json()["warnings"][0]["warningCode"] == "ALREADY_IN_REQUESTED_STATE"
    status = CommunicationStatus.objects.get()
    assert status.communication_value == "+12025550143"
    post(rw_client, department, body(sms("+1 202 555 0143", True)))
    assert CommunicationStatus.objects.get().ok_to_communicate is True


def test_the_history_of_an_erased_address_stays_reachable(stopped_customer):
    erase(stopped_customer)
    status = CommunicationStatus.objects.get()
    events = ConsentEvent.objects.filter(subject_key=status.subject_key, kind="optout.status")
    assert events.count() == 1
