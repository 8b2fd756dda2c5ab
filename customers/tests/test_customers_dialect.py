"""Seed 004: GET, POST and DELETE /customers[/{email}] (DESIGN §4e)."""

from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from customers.models import ConsentEvent, Customer
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

OK = {"success": True, "status": "OK"}


@pytest.fixture
def customer(organisation):
    customer = CustomerFactory(organisation=organisation, email="matt@example.com", locale="en-US")
    Customer.objects.filter(pk=customer.pk).update(
        created_at=datetime(2020, 1, 1, 9, 40, 18, tzinfo=UTC)
    )
    return customer


def post(client, body):
    return client.post("/customers", body, format="json")


# GET /customers/{email} ------------------------------------------------------------------------
def test_get_answers_the_seeds_sample_shape(rw_client, customer):
    response = rw_client.get("/customers/matt@example.com")
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "status": "OK",
        "customer": {
            "object": "customer",
            "email": "matt@example.com",
            "created": 1577871618,
            "locale": "en-US",
        },
    }


def test_get_matches_the_email_in_any_case(rw_client, customer):
    assert rw_client.get("/customers/MATT@Example.COM").status_code == 200


@pytest.mark.parametrize(
    "email", ["matt+news@example.com", "jürgen@bücher.example", "o'brien@example.com"]
)
def test_get_finds_emails_with_plus_unicode_and_percent_encoding(rw_client, organisation, email):
    CustomerFactory(organisation=organisation, email=email)
    assert rw_client.get(f"/customers/{email}").json()["customer"]["email"] == email
    assert rw_client.get(f"/customers/{quote(email)}").status_code == 200


def test_get_of_an_unknown_email_is_404(rw_client, customer):
    response = rw_client.get("/customers/nobody@example.com")
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_get_of_an_invalid_email_is_400(rw_client):
    response = rw_client.get("/customers/not-an-email")
    assert response.status_code == 400
    assert response.json() == {"success": False, "status": "email: Enter a valid email address."}


def test_get_without_credentials_is_401(anon_client, customer):
    response = anon_client.get("/customers/matt@example.com")
    assert response.status_code == 401
    assert response.json()["success"] is False


def test_get_uses_one_query_besides_authentication(rw_client, customer, django_assert_num_queries):
    rw_client.get("/customers/matt@example.com")  # warm the credentials cache
    # 1 the API user with membership and organisation, 2 the customer by email
    with django_assert_num_queries(2):
        assert rw_client.get("/customers/matt@example.com").status_code == 200


# POST /customers ------------------------------------------------------------------------------
def test_post_creates_a_customer_as_in_the_seed(rw_client, organisation):
    response = post(rw_client, {"email": "matt@example.com", "locale": "de-DE"})
    assert response.status_code == 200
    assert response.json() == OK
    customer = Customer.objects.get(organisation=organisation)
    assert (customer.email, customer.email_key, customer.locale) == (
        "matt@example.com",
        "matt@example.com",
        "de-DE",
    )


def test_post_without_locale_creates_a_customer(rw_client, organisation):
    assert post(rw_client, {"email": "matt@example.com"}).json() == OK
    assert Customer.objects.get(organisation=organisation).locale == ""


def test_post_updates_the_locale_of_the_customer_with_that_email_in_any_case(rw_client, customer):
    assert post(rw_client, {"email": "MATT@example.com", "locale": "de-DE"}).json() == OK
    customer.refresh_from_db()
    assert customer.locale == "de-DE"
    assert Customer.objects.count() == 1


def test_post_records_what_changed_on_the_ledger_but_not_the_values(rw_client, customer):
    post(rw_client, {"email": "matt@example.com", "locale": "de-DE"})
    event = ConsentEvent.objects.get(customer=customer)
    assert (event.kind, event.target, event.old_value, event.new_value) == (
        "customer.profile",
        "updated",
        None,
        ["locale"],
    )
    assert event.source == "api"


def test_post_that_changes_nothing_writes_no_event(rw_client, customer):
    post(rw_client, {"email": "matt@example.com", "locale": "en-US"})
    post(rw_client, {"email": "matt@example.com"})
    assert not ConsentEvent.objects.exists()


def test_post_creates_a_new_customer_when_the_old_one_was_erased(rw_client, customer):
    assert rw_client.delete("/customers/matt@example.com").status_code == 200
    assert post(rw_client, {"email": "matt@example.com"}).json() == OK
    assert Customer.objects.live().count() == 1


def test_post_by_another_organisation_creates_its_own_customer(other_client, customer):
    assert post(other_client, {"email": "matt@example.com", "locale": "fr"}).json() == OK
    customer.refresh_from_db()
    assert customer.locale == "en-US"
    assert Customer.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "not-an-email"}, "email: Enter a valid email address."),
        ({"locale": "en"}, "email: This field is required."),
        ({"email": 5}, "email: Must be a string."),
        ({"email": None}, "email: This field may not be null."),
        ({"email": "a@example.com", "locale": "english"}, "locale: Enter a BCP 47"),
        ({"email": "a@example.com", "locale": "en_US"}, "locale: Enter a BCP 47"),
        ({"email": "a@example.com", "locale": "x" * 100}, "locale: Ensure this field"),
        ({"email": "a@example.com", "name": "Matt"}, "name: Unknown field."),
        ({"email": "a" * 300 + "@example.com"}, "email: Ensure this field"),
        (["a@example.com"], "Invalid data. Expected a dictionary"),
    ],
)
def test_post_with_bad_input_is_400_and_changes_nothing(rw_client, body, status):
    response = post(rw_client, body)
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["status"].startswith(status)
    assert not Customer.objects.exists()


def test_post_with_malformed_json_is_400(rw_client):
    response = rw_client.generic("POST", "/customers", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["success"] is False


def test_post_by_a_read_only_user_is_403(ro_client):
    response = post(ro_client, {"email": "matt@example.com"})
    assert response.status_code == 403
    assert response.json()["success"] is False
    assert not Customer.objects.exists()


# DELETE /customers/{email} ---------------------------------------------------------------------
def test_delete_erases_the_customer_as_in_the_seed(rw_client, customer):
    customer.phone = "+12025550143"
    customer.correlation_id = "loyal-1"
    customer.save()
    response = rw_client.delete("/customers/Matt@example.com")
    assert response.status_code == 200
    assert response.json() == OK
    customer.refresh_from_db()
    assert customer.is_erased
    assert (customer.email, customer.phone, customer.correlation_id) == (None, None, None)
    assert ConsentEvent.objects.get(customer=customer).kind == "customer.erased"


def test_delete_twice_is_404_the_second_time(rw_client, customer):
    assert rw_client.delete("/customers/matt@example.com").status_code == 200
    response = rw_client.delete("/customers/matt@example.com")
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_an_erased_customer_is_not_found(rw_client, customer):
    rw_client.delete("/customers/matt@example.com")
    assert rw_client.get("/customers/matt@example.com").status_code == 404


def test_delete_of_an_invalid_email_is_400(rw_client):
    assert rw_client.delete("/customers/nope").status_code == 400
