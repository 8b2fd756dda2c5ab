"""PUT /v2/contacts/suppress-contacts: up to 10,000 items, set-based."""

import time

import pytest
from django.db import connection

from conftest import assert_nothing_changed
from customers.models import ConsentEvent, Customer
from customers.normalisation import address_key
from customers.tests.factories import CustomerFactory
from subscriptions.models import Suppression
from subscriptions.tests.factories import email_status

pytestmark = pytest.mark.django_db

URL = "/v2/contacts/suppress-contacts"


def test_the_seed_example(rw_client, organisation):
    by_id = CustomerFactory(organisation=organisation, email="someone@emailsim.co")
    bob = CustomerFactory(organisation=organisation, email="bob.smith@emailsim.co")
    body = [{"id": by_id.pk}, {"email": "bob.smith@emailsim.co"}, {"email": "unknown@emailsim.co"}]
    response = rw_client.put(URL, body, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "suppressed": [
            {"id": by_id.pk, "email": None},
            {"id": 0, "email": "bob.smith@emailsim.co"},
        ],
        "notFound": [{"id": 0, "email": "unknown@emailsim.co"}],
    }
    assert [email_status(by_id), email_status(bob)] == ["Suppressed", "Suppressed"]
    # What is not found is reported, not suppressed.
    assert not Suppression.objects.filter(address_key=address_key("unknown@emailsim.co")).exists()
    assert (
        ConsentEvent.objects.filter(kind="email.suppression", new_value="Suppressed").count() == 2
    )


def test_unknown_ids_and_other_organisations_contacts_are_not_found(rw_client, other_organisation):
    theirs = CustomerFactory(organisation=other_organisation, email="theirs@example.com")
    response = rw_client.put(
        URL, [{"id": theirs.pk}, {"email": "theirs@example.com"}, {"id": 99999999}], format="json"
    )
    assert response.json()["suppressed"] == []
    assert len(response.json()["notFound"]) == 3
    assert not Suppression.objects.exists()


def test_an_erased_contact_is_not_found(rw_client, customer):
    from customers.ledger import Provenance
    from customers.services import customer_erase

    customer_erase(customer=customer, provenance=Provenance(source="system"))
    response = rw_client.put(URL, [{"id": customer.pk}], format="json")
    assert response.json()["notFound"] == [{"id": customer.pk, "email": None}]


@pytest.mark.parametrize(
    "body",
    [
        {"id": 1},
        [{"id": "1"}],
        [{"id": True}],
        [{"id": -4}],
        [{"email": "not-an-email"}],
        [{"email": 7}],
        [{}],
        [{"id": 5, "email": "a@example.com"}],
        [{"id": 5, "name": "x"}],
        [5],
        [{"id": 2**70}],
    ],
)
def test_invalid_input_is_400_and_changes_nothing(rw_client, customer, body):
    body = body if not isinstance(body, list) else [{"id": customer.pk}, *body]
    with assert_nothing_changed():
        response = rw_client.put(URL, body, format="json")
    assert response.status_code == 400
    assert "message" in response.json()
    assert not Suppression.objects.exists()


def test_more_than_10000_items_is_400(rw_client):
    with assert_nothing_changed():
        response = rw_client.put(URL, [{"id": n} for n in range(1, 10_002)], format="json")
    assert response.status_code == 400
    assert "10000" in response.json()["message"]


def _many_customers(organisation, count):
    Customer.objects.bulk_create(
        [
            Customer(
                organisation=organisation, email=f"c{n}@example.com", email_key=f"c{n}@example.com"
            )
            for n in range(count)
        ]
    )
    return list(Customer.objects.for_organisation(organisation).values_list("id", flat=True))


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's 999-parameter limit makes Django split bulk inserts into many statements",
)
def test_10000_items_take_a_constant_number_of_queries(
    rw_client, organisation, django_assert_max_num_queries
):
    ids = _many_customers(organisation, 5_000)
    body = [{"id": pk} for pk in ids] + [{"email": f"x{n}@example.com"} for n in range(5_000)]
    rw_client.put(URL, [{"email": "warm@example.com"}], format="json")  # auth cache warmed
    # 1 user + membership (Basic auth), 1 savepoint, 1 customers by id or email,
    # 1 advisory lock, 1 existing entries, 1 suppression insert and 1 ledger insert (one
    # statement each, whatever the size), 1 release savepoint.
    with django_assert_max_num_queries(8):
        started = time.perf_counter()
        response = rw_client.put(URL, body, format="json")
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert len(response.json()["suppressed"]) == 5_000
    assert len(response.json()["notFound"]) == 5_000
    assert Suppression.objects.count() == 5_000
    print(f"\nsuppress-contacts, 10,000 items (5,000 found): {elapsed * 1000:.0f} ms")


def test_10000_items_are_accepted(rw_client, organisation):
    ids = _many_customers(organisation, 200)
    body = [{"id": ids[n % 200]} for n in range(10_000)]
    response = rw_client.put(URL, body, format="json")
    assert response.status_code == 200
    assert len(response.json()["suppressed"]) == 10_000
    assert Suppression.objects.count() == 200
    assert ConsentEvent.objects.filter(kind="email.suppression").count() == 200


def test_keys_in_any_case_and_unknown_keys(rw_client, organisation):
    ada = CustomerFactory(organisation=organisation, email="ada@emailsim.co")
    bob = CustomerFactory(organisation=organisation, email="bob@emailsim.co")
    body = [{"ID": ada.pk}, {"Email": "BOB@emailsim.co", "Id": 0}]
    response = rw_client.put(URL, body, format="json")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["suppressed"]] == [ada.pk, 0]
    assert [email_status(ada), email_status(bob)] == ["Suppressed", "Suppressed"]
    with assert_nothing_changed():
        response = rw_client.put(URL, [{"email": "c@emailsim.co", "name": "C"}], format="json")
    assert response.status_code == 400
    assert "[0]" in response.content.decode()
