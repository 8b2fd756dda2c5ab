"""`GET /consent/v1/customers/{uuid}/consent-events`: the ledger, newest first, keyset-paged."""

import base64

import pytest

from customers.tests.factories import ConsentEventFactory, CustomerFactory
from tests.hostile import assert_dialect_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(organisation):
    customer = CustomerFactory(organisation=organisation)
    ConsentEventFactory.create_batch(3, customer=customer)
    return customer


def path(customer) -> str:
    return f"/consent/v1/customers/{customer.uuid}/consent-events"


def cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_it_pages_with_the_cursor_it_hands_out(rw_client, customer):
    first = rw_client.get(path(customer), {"page_size": 2}).json()
    assert len(first["results"]) == 2
    second = rw_client.get(first["next"]).json()
    assert len(second["results"]) == 1


@pytest.mark.parametrize(
    "tampered",
    [
        cursor("p=notadate"),
        cursor("p="),
        cursor("p=2020-13-45T99:99"),
        cursor("o=1&p=0001-01-01T00:00:00%2B14:00"),
        cursor("r=x"),
        "not base64!",
        "\u00b2",
    ],
    ids=[
        "not-a-date",
        "empty-position",
        "impossible-date",
        "overflowing-date",
        "bad-reverse",
        "not-base64",
        "non-ascii",
    ],
)
def test_a_tampered_cursor_is_the_service_400(rw_client, customer, tampered):
    response = rw_client.get(path(customer), {"cursor": tampered})
    body = assert_dialect_error(response, "service", 400)
    assert body["code"] == "INVALID_REQUEST"
    assert body["errors"] == {"cursor": ["Invalid cursor."]}
