"""GET /v2/contacts/suppressed-since/{date} and /v2/contacts/unsubscribed-since/{date}."""

from datetime import UTC, datetime

import pytest
from rest_framework.renderers import JSONRenderer

from customers.tests.factories import CustomerFactory
from subscriptions.tests.factories import SuppressionFactory

pytestmark = pytest.mark.django_db

SUPPRESSED = "/v2/contacts/suppressed-since/"
UNSUBSCRIBED = "/v2/contacts/unsubscribed-since/"
T = datetime(2020, 1, 1, 9, 40, 18, 527000, tzinfo=UTC)


@pytest.fixture
def seed_entries(organisation):
    terry = CustomerFactory(
        organisation=organisation,
        email="terry.mccarthy@example.com",
        opt_in_type="VerifiedDouble",
        email_type="Html",
        data_fields={},
    )
    eleanor = CustomerFactory(
        organisation=organisation,
        email="eleanor.halloran@example.com",
        email_type="PlainText",
        data_fields={},
    )
    SuppressionFactory(organisation=organisation, email=terry.email, date_removed=T)
    SuppressionFactory(
        organisation=organisation, email=eleanor.email, reason="HardBounced", date_removed=T
    )
    return terry, eleanor


def test_the_seed_example_of_suppressed_since(rw_client, seed_entries):
    terry, eleanor = seed_entries
    response = rw_client.get(SUPPRESSED + "2020-01-01")
    assert response.status_code == 200
    assert response.json() == [
        {
            "suppressedContact": {
                "id": terry.pk,
                "email": "terry.mccarthy@example.com",
                "optInType": "VerifiedDouble",
                "emailType": "Html",
                "dataFields": None,
                "status": "Unsubscribed",
            },
            "dateRemoved": "2020-01-01T09:40:18.527Z",
            "reason": "Unsubscribed",
        },
        {
            "suppressedContact": {
                "id": eleanor.pk,
                "email": "eleanor.halloran@example.com",
                "optInType": "Unknown",
                "emailType": "PlainText",
                "dataFields": None,
                "status": "HardBounced",
            },
            "dateRemoved": "2020-01-01T09:40:18.527Z",
            "reason": "HardBounced",
        },
    ]


def test_unsubscribed_since_lists_reason_unsubscribed_only(rw_client, seed_entries):
    response = rw_client.get(UNSUBSCRIBED + "2020-01-01")
    assert [item["reason"] for item in response.json()] == ["Unsubscribed"]
    assert response.json()[0]["suppressedContact"]["id"] == seed_entries[0].pk


def test_an_address_without_contact_is_listed_with_id_0(rw_client, organisation):
    SuppressionFactory(organisation=organisation, email="ghost@example.com", date_removed=T)
    [item] = rw_client.get(SUPPRESSED + "2020-01-01").json()
    assert item["suppressedContact"]["id"] == 0
    assert item["suppressedContact"]["email"] == "ghost@example.com"


@pytest.mark.parametrize(
    ("date", "count"),
    [
        ("2020-01-01", 2),
        ("2020-01-02", 0),
        ("2020-01-01T09:40:18.527Z", 2),  # inclusive
        ("2020-01-01T09:40:18.528", 0),  # naive means UTC
        ("2020-01-01T10:40:18.527+01:00", 2),
        ("2020-01-01T09:40:19+00:00", 0),
    ],
)
def test_dates_and_date_times_are_accepted(rw_client, seed_entries, date, count):
    response = rw_client.get(SUPPRESSED + date)
    assert response.status_code == 200
    assert len(response.json()) == count


@pytest.mark.parametrize(
    "date", ["yesterday", "2020-13-01", "2020-02-30", "01-01-2020", "1577836800"]
)
def test_an_invalid_date_is_400(rw_client, organisation, date):
    response = rw_client.get(SUPPRESSED + date)
    assert response.status_code == 400
    assert "date" in response.json()["message"]


@pytest.mark.parametrize("query", ["select=0", "select=1001", "skip=-1", "select=x", "skip=9e99"])
def test_select_and_skip_out_of_range_are_400(rw_client, organisation, query):
    assert rw_client.get(f"{SUPPRESSED}2020-01-01?{query}").status_code == 400


def test_select_and_skip_page_by_time_then_id(rw_client, organisation):
    same_time = [SuppressionFactory(organisation=organisation, date_removed=T).pk for _ in range(3)]
    earlier = SuppressionFactory(organisation=organisation, date_removed=T.replace(hour=1)).pk
    order = [earlier, *sorted(same_time)]

    def page(skip, select):
        response = rw_client.get(f"{UNSUBSCRIBED}2020-01-01?select={select}&skip={skip}")
        return [item["suppressedContact"]["email"] for item in response.json()]

    emails = page(0, 1000)
    assert len(emails) == 4
    assert page(0, 2) + page(2, 2) == emails
    assert page(4, 2) == []
    from subscriptions.models import Suppression

    assert [Suppression.objects.get(email=e).pk for e in emails] == order


def test_default_select_is_1000(rw_client, organisation):
    from subscriptions.models import Suppression

    Suppression.objects.bulk_create(
        [
            Suppression(
                organisation=organisation,
                address_key=f"k{n}",
                email=f"p{n}@example.com",
                reason="Unsubscribed",
                date_removed=T,
            )
            for n in range(1001)
        ]
    )
    assert len(rw_client.get(SUPPRESSED + "2020-01-01").json()) == 1000


def test_another_organisations_entries_are_not_listed(other_client, seed_entries):
    assert other_client.get(SUPPRESSED + "2020-01-01").json() == []


def test_a_page_takes_a_constant_number_of_queries(
    rw_client, organisation, django_assert_max_num_queries
):
    for _ in range(20):
        customer = CustomerFactory(organisation=organisation)
        SuppressionFactory(organisation=organisation, email=customer.email, date_removed=T)
    rw_client.get(SUPPRESSED + "2020-01-01")  # warm the auth cache
    # user + membership (auth), the page of entries, the customers of its addresses.
    with django_assert_max_num_queries(3):
        assert len(rw_client.get(SUPPRESSED + "2020-01-01").json()) == 20


def test_suppressed_since_writes_the_bytes_drf_writes(rw_client, organisation):
    customer = CustomerFactory(organisation=organisation, data_fields={"ratio": 1e-05, "n": 2.5})
    SuppressionFactory(
        organisation=organisation,
        email=customer.email,
        date_removed=datetime(2020, 1, 1, 9, 40, 18, 527999, tzinfo=UTC),
    )

    response = rw_client.get(SUPPRESSED + "2020-01-01")

    assert response.content == JSONRenderer().render(response.data)
    assert b'"value":1e-05}' in response.content
    assert b'"dateRemoved":"2020-01-01T09:40:18.527Z"' in response.content
