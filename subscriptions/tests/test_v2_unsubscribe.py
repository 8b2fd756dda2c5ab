"""POST /v2/contacts/unsubscribe and the v2 status derived from the suppression list."""

import re

import pytest

from conftest import assert_nothing_changed
from customers.api.v2_contact import v2_contacts
from customers.models import ConsentEvent
from customers.normalisation import address_key
from customers.tests.factories import CustomerFactory
from subscriptions.models import Suppression
from subscriptions.tests.factories import email_status

pytestmark = pytest.mark.django_db

URL = "/v2/contacts/unsubscribe"
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_the_seed_example_unsubscribes_a_contact(rw_client, customer):
    response = rw_client.post(URL, {"email": "john.smith@emailsim.io"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["suppressedContact"] == {
        "id": customer.pk,
        "email": "john.smith@emailsim.io",
        "optInType": "Unknown",
        "emailType": "PlainText",
        "dataFields": None,
        "status": "Unsubscribed",
    }
    assert body["reason"] == "Unsubscribed"
    assert TIME.match(body["dateRemoved"])
    assert email_status(customer) == "Unsubscribed"


def test_a_new_contact_is_subscribed(customer):
    assert email_status(customer) == "Subscribed"


def test_an_unknown_address_is_suppressed_with_contact_id_0(rw_client, organisation):
    response = rw_client.post(URL, {"email": "Nobody@Example.com"}, format="json")
    assert response.status_code == 200
    assert response.json()["suppressedContact"]["id"] == 0
    assert response.json()["suppressedContact"]["email"] == "nobody@example.com"
    entry = Suppression.objects.get(organisation=organisation)
    assert entry.address_key == address_key("nobody@example.com")
    event = ConsentEvent.objects.get(kind="email.suppression")
    assert (event.customer_id, event.subject_key) == (None, entry.address_key)
    assert (event.old_value, event.new_value) == (None, "Unsubscribed")


def test_a_customer_created_later_with_that_address_comes_back_suppressed(rw_client, organisation):
    rw_client.post(URL, {"email": "later@example.com"}, format="json")
    customer = CustomerFactory(organisation=organisation, email="LATER@example.com")
    assert email_status(customer) == "Unsubscribed"


def test_unsubscribing_twice_writes_one_ledger_event(rw_client, customer):
    rw_client.post(URL, {"email": customer.email}, format="json")
    response = rw_client.post(URL, {"email": customer.email.upper()}, format="json")
    assert response.status_code == 200
    assert ConsentEvent.objects.filter(kind="email.suppression").count() == 1
    assert Suppression.objects.count() == 1


def test_an_existing_reason_is_kept(rw_client, customer):
    rw_client.put("/v2/contacts/suppress-contacts", [{"id": customer.pk}], format="json")
    response = rw_client.post(URL, {"email": customer.email}, format="json")
    assert response.json()["reason"] == "Suppressed"
    assert response.json()["suppressedContact"]["status"] == "Suppressed"


def test_the_suppression_is_per_organisation(rw_client, other_organisation):
    other = CustomerFactory(organisation=other_organisation, email="shared@example.com")
    rw_client.post(URL, {"email": "shared@example.com"}, format="json")
    assert email_status(other) == "Subscribed"


@pytest.mark.parametrize("body", [{}, {"email": "not-an-email"}, {"email": 5}, [1], "x"])
def test_invalid_input_is_400_and_changes_nothing(rw_client, body):
    with assert_nothing_changed():
        response = rw_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"message", "errorCode"}
    assert not Suppression.objects.exists()


def test_malformed_json_is_400(rw_client):
    with assert_nothing_changed():
        response = rw_client.post(URL, "{nope", content_type="application/json")
    assert response.status_code == 400


def test_statuses_of_many_customers_take_one_query(organisation, django_assert_num_queries):
    customers = [CustomerFactory(organisation=organisation) for _ in range(5)]
    Suppression.objects.create(
        organisation=organisation,
        address_key=address_key(customers[2].email_key),
        email=customers[2].email_key,
        reason="HardBounced",
        date_removed=customers[2].created_at,
    )
    with django_assert_num_queries(1):  # the suppression entries of all five addresses
        contacts = v2_contacts(customers)
    assert [c["status"] for c in contacts] == ["Subscribed"] * 2 + ["HardBounced"] + [
        "Subscribed"
    ] * 2
