"""Seed 004 under /api/v1/ for the Sendwithus clients: one set of routes mounted twice, GET
/logs/{id}, `data` merged into data fields, JSON whatever Content-Type and Accept say."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers import services
from customers.models import ConsentEvent, Customer
from customers.tests.factories import CustomerFactory
from emaillogs.tests.factories import EmailLogFactory

pytestmark = pytest.mark.django_db

OK = {"success": True, "status": "OK"}


@pytest.fixture
def customer(organisation):
    return CustomerFactory(organisation=organisation, email="matt+news@example.com")


@pytest.fixture
def log(customer):
    return EmailLogFactory(customer=customer, public_id="log_asdf1234qwerty")


def raw_post(client, path, body: str, **headers):
    return client.generic("POST", path, body.encode(), **headers)


# One set of routes, two mounts -------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, args, path",
    [
        ("customers-create", [], "customers"),
        ("customers-detail", ["a@example.com"], "customers/a@example.com"),
        ("customers-logs", ["a@example.com"], "customers/a@example.com/logs"),
        ("log-detail", ["log_1"], "logs/log_1"),
    ],
)
def test_every_seed_004_route_reverses_at_the_root_and_under_api_v1(name, args, path):
    assert reverse(name, args=args) == f"/{path}"
    assert reverse(f"sendwithus:{name}", args=args) == f"/api/v1/{path}"


def test_get_under_api_v1_answers_as_at_the_root(rw_client, customer):
    root = rw_client.get("/customers/matt+news@example.com")
    mounted = rw_client.get("/api/v1/customers/matt+news@example.com")
    assert mounted.status_code == root.status_code == 200
    assert mounted.json() == root.json()


def test_logs_under_api_v1_answer_as_at_the_root(rw_client, log):
    mounted = rw_client.get("/api/v1/customers/matt+news@example.com/logs")
    assert mounted.status_code == 200
    assert mounted.json() == rw_client.get("/customers/matt+news@example.com/logs").json()
    assert mounted.json()["logs"][0]["id"] == "log_asdf1234qwerty"


def test_delete_under_api_v1_erases_the_customer(rw_client, customer):
    response = rw_client.delete("/api/v1/customers/matt+news@example.com")
    assert (response.status_code, response.json()) == (200, OK)
    customer.refresh_from_db()
    assert customer.is_erased


def test_another_organisations_customer_is_404_under_api_v1(other_client, customer):
    response = other_client.get("/api/v1/customers/matt+news@example.com")
    assert response.status_code == 404
    assert response.json()["success"] is False


# GET /logs/{id} --------------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", ["/api/v1", ""])
def test_get_log_answers_one_log_as_in_the_logs_list(rw_client, log, prefix):
    response = rw_client.get(f"{prefix}/logs/log_asdf1234qwerty")
    assert response.status_code == 200
    listed = rw_client.get("/customers/matt+news@example.com/logs").json()["logs"][0]
    assert response.json() == listed
    assert response.json()["object"] == "log"


def test_get_log_of_another_organisation_is_404(other_client, log):
    response = other_client.get("/api/v1/logs/log_asdf1234qwerty")
    assert response.status_code == 404
    assert response.json()["success"] is False


@pytest.mark.parametrize("log_id", ["log_unknown", "log_%00", "%E2%98%83"])
def test_get_log_of_an_unknown_id_is_404(rw_client, log, log_id):
    assert rw_client.get(f"/api/v1/logs/{log_id}").status_code == 404


def test_get_log_of_an_erased_customer_is_404(rw_client, log, customer):
    rw_client.delete("/api/v1/customers/matt+news@example.com")
    assert rw_client.get("/api/v1/logs/log_asdf1234qwerty").status_code == 404


def test_get_log_without_credentials_is_401(anon_client, log):
    assert anon_client.get("/api/v1/logs/log_asdf1234qwerty").status_code == 401


def test_get_log_uses_one_query_besides_authentication(rw_client, log, django_assert_num_queries):
    rw_client.get("/api/v1/logs/log_asdf1234qwerty")  # warm the remembered Basic credentials
    # 1 the API user with membership and organisation, 2 the log by (organisation, public id)
    with django_assert_num_queries(2):
        assert rw_client.get("/api/v1/logs/log_asdf1234qwerty").status_code == 200


# POST with data ----------------------------------------------------------------------------------
def test_post_creates_a_customer_with_data_fields_and_one_event(rw_client, organisation):
    body = {"email": "new@example.com", "data": {"plan": "gold", "age": 40}, "locale": "en-US"}
    response = rw_client.post("/api/v1/customers", body, format="json")
    assert (response.status_code, response.json()) == (200, OK)
    customer = Customer.objects.get(organisation=organisation, email="new@example.com")
    assert customer.data_fields == {"plan": "gold", "age": 40}
    event = ConsentEvent.objects.get(customer=customer)
    assert (event.target, event.new_value) == ("created", ["data_fields", "email", "locale"])


def test_post_merges_data_into_the_stored_data_fields(rw_client, customer):
    Customer.objects.filter(pk=customer.pk).update(data_fields={"plan": "silver", "town": "York"})
    body = {"email": "MATT+news@example.com", "data": {"plan": "gold"}}
    assert rw_client.post("/api/v1/customers", body, format="json").status_code == 200
    customer.refresh_from_db()
    assert customer.data_fields == {"plan": "gold", "town": "York"}
    event = ConsentEvent.objects.get(customer=customer)
    assert (event.target, event.new_value) == ("updated", ["data_fields"])


def test_post_with_empty_data_as_the_python_client_sends_it_changes_nothing(rw_client, customer):
    body = {"email": "matt+news@example.com", "data": {}}
    assert rw_client.post("/api/v1/customers", body, format="json").status_code == 200
    assert not ConsentEvent.objects.exists()


def test_post_query_count_is_constant(rw_client, organisation, django_assert_max_num_queries):
    rw_client.post("/api/v1/customers", {"email": "a@example.com"}, format="json")  # warm auth
    body = {"email": "a@example.com", "locale": "de-DE", "data": {f"k{n}": n for n in range(50)}}
    # 1 user; savepoint, customer locked by email, locale update, its ledger event;
    # customer_merge_data_fields: savepoint, lock, data fields update, its ledger event; 2 releases
    with django_assert_max_num_queries(11):
        assert rw_client.post("/api/v1/customers", body, format="json").status_code == 200


# Content-Type and Accept -------------------------------------------------------------------------
@pytest.mark.parametrize("content_type", ["text/plain", "text/plain; charset=utf-8", None])
def test_a_json_body_is_read_whatever_its_content_type(rw_client, organisation, content_type):
    headers = {"CONTENT_TYPE": content_type} if content_type else {}
    body = json.dumps({"email": "plain@example.com", "data": {"plan": "gold"}})
    response = raw_post(rw_client, "/api/v1/customers", body, **headers)
    assert (response.status_code, response.json()) == (200, OK)
    assert Customer.objects.get(email="plain@example.com").data_fields == {"plan": "gold"}


@pytest.mark.parametrize("accept", ["text/plain", "text/html", "application/xml", "*/*"])
def test_the_answer_is_json_whatever_accept_asks(rw_client, customer, accept):
    response = rw_client.get("/api/v1/customers/matt+news@example.com", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["customer"]["email"] == "matt+news@example.com"


def test_an_error_is_json_whatever_accept_asks(anon_client, customer):
    response = anon_client.get("/api/v1/customers/matt+news@example.com", HTTP_ACCEPT="text/plain")
    assert response.status_code == 401
    assert response.json()["success"] is False


def test_the_root_mount_reads_mislabelled_json_too(rw_client, organisation):
    body = json.dumps({"email": "root@example.com"})
    assert raw_post(rw_client, "/customers", body, CONTENT_TYPE="text/plain").status_code == 200


# Authentication as the clients send it ---------------------------------------------------------
def test_x_swu_api_key_authenticates_under_api_v1(rw_user, customer):
    _, key = services.api_token_issue(user=rw_user)
    client = APIClient(HTTP_X_SWU_API_KEY=key)
    assert client.get("/api/v1/customers/matt+news@example.com").status_code == 200


# Hostile input: the dialect's 4xx, nothing changes ----------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        '{"email": "x@example.com", "data": ',
        "email=x@example.com",
        '{"email": "x@example.com", "data": ["a"]}',
        '{"email": "x@example.com", "data": "plan=gold"}',
        '{"email": "x@example.com", "data": {"plan": "a\\u0000b"}}',
        '{"email": "x@example.com", "data": {"a\\u0000": 1}}',
        '{"email": "x@example.com", "data": {"' + "k" * 101 + '": 1}}',
        json.dumps({"email": "x@example.com", "data": {f"k{n}": n for n in range(201)}}),
        '{"email": "x\\u0000@example.com"}',
        '["x@example.com"]',
    ],
)
def test_bad_bodies_are_the_dialects_400_and_change_nothing(rw_client, customer, body):
    response = raw_post(rw_client, "/api/v1/customers", body, CONTENT_TYPE="text/plain")
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert not Customer.objects.filter(email="x@example.com").exists()
    assert not ConsentEvent.objects.exists()


def test_a_huge_body_is_413_and_changes_nothing(settings, rw_client, organisation):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"email": "big@example.com", "data": {"blob": "a" * 2000}})
    response = raw_post(rw_client, "/api/v1/customers", body, CONTENT_TYPE="text/plain")
    assert response.status_code == 413
    assert response.json()["success"] is False
    assert not Customer.objects.exists()
