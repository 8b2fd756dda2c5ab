"""Seed 004: GET /customers/{email}/logs?count=&created_lt=&created_gt= (DESIGN §4e)."""

from datetime import UTC, datetime, timedelta

import pytest

from customers.tests.factories import CustomerFactory
from emaillogs.models import EmailLog
from emaillogs.tests.factories import EmailLogFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2009, 2, 13, 23, 31, 30, tzinfo=UTC)  # 1234567890


@pytest.fixture
def customer(organisation):
    return CustomerFactory(organisation=organisation, email="matt@example.com")


def make_logs(customer, n, start=T0):
    return [
        EmailLogFactory(customer=customer, created=start + timedelta(seconds=i)) for i in range(n)
    ]


def ids(response):
    return [log["id"] for log in response.json()["logs"]]


def test_it_answers_the_seeds_sample_shape(rw_client, customer):
    EmailLogFactory(customer=customer, public_id="log_asdf1234qwerty", created=T0)
    response = rw_client.get("/customers/matt@example.com/logs")
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "status": "OK",
        "logs": [
            {
                "object": "log",
                "id": "log_asdf1234qwerty",
                "created": 1234567890,
                "recipient_name": "Matt",
                "recipient_address": "matt@example.com",
                "status": "opened",
                "message": "SendGrid: Message has been opened",
                "email_id": "tem_as8dfjha8dap",
                "email_name": "Order Confirmation",
                "email_version": "Version A",
            }
        ],
    }


def test_logs_come_newest_first(rw_client, customer):
    logs = make_logs(customer, 3)
    response = rw_client.get("/customers/matt@example.com/logs")
    assert ids(response) == [log.public_id for log in reversed(logs)]


def test_count_limits_the_number_of_logs(rw_client, customer):
    logs = make_logs(customer, 5)
    response = rw_client.get("/customers/matt@example.com/logs?count=2")
    assert ids(response) == [logs[4].public_id, logs[3].public_id]


def test_count_defaults_to_100(rw_client, customer):
    EmailLog.objects.bulk_create(
        EmailLog(
            organisation=customer.organisation,
            customer=customer,
            public_id=f"log_{i}",
            created=T0 + timedelta(seconds=i),
        )
        for i in range(101)
    )
    assert len(ids(rw_client.get("/customers/matt@example.com/logs"))) == 100


def test_the_time_bounds_are_exclusive(rw_client, customer):
    logs = make_logs(customer, 5)  # created 1234567890 .. 1234567894
    response = rw_client.get(
        "/customers/matt@example.com/logs?created_gt=1234567890&created_lt=1234567894"
    )
    assert ids(response) == [logs[3].public_id, logs[2].public_id, logs[1].public_id]


def test_a_log_within_the_bound_second_is_not_after_it(rw_client, customer):
    EmailLogFactory(customer=customer, created=T0 + timedelta(milliseconds=500))
    assert ids(rw_client.get("/customers/matt@example.com/logs?created_gt=1234567890")) == []
    assert ids(rw_client.get("/customers/matt@example.com/logs?created_lt=1234567890")) == []


def test_only_this_customers_logs_are_listed(rw_client, customer, organisation):
    mine = EmailLogFactory(customer=customer)
    EmailLogFactory(customer=CustomerFactory(organisation=organisation))
    assert ids(rw_client.get("/customers/matt@example.com/logs")) == [mine.public_id]


def test_the_email_matches_in_any_case_and_percent_encoded(rw_client, customer):
    mine = EmailLogFactory(customer=customer)
    assert ids(rw_client.get("/customers/MATT%40example.com/logs")) == [mine.public_id]


def test_a_customer_without_logs_has_an_empty_list(rw_client, customer):
    assert rw_client.get("/customers/matt@example.com/logs").json()["logs"] == []


def test_an_unknown_customer_is_404(rw_client, customer):
    response = rw_client.get("/customers/nobody@example.com/logs")
    assert response.status_code == 404
    assert response.json()["success"] is False


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("count=0", "count: Ensure this value is greater than or equal to 1."),
        ("count=101", "count: Ensure this value is less than or equal to 100."),
        ("count=ten", "count: A valid integer is required."),
        ("created_lt=yesterday", "created_lt: A valid integer is required."),
        ("created_gt=2020-01-01", "created_gt: A valid integer is required."),
        ("created_gt=1e400", "created_gt: A valid integer is required."),
        ("created_lt=99999999999999999999", "created_lt: Ensure this value is less than"),
        ("created_gt=-1", "created_gt: Ensure this value is greater than"),
    ],
)
def test_bad_query_parameters_are_400(rw_client, customer, query, status):
    response = rw_client.get(f"/customers/matt@example.com/logs?{query}")
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["status"].startswith(status)


def test_an_invalid_email_is_400(rw_client):
    assert rw_client.get("/customers/not-an-email/logs").status_code == 400


@pytest.mark.parametrize("count", [1, 100])
def test_the_query_count_does_not_grow_with_count(
    rw_client, customer, django_assert_num_queries, count
):
    make_logs(customer, 100)
    rw_client.get("/customers/matt@example.com/logs")  # warm the credentials cache
    # 1 the API user with membership and organisation, 2 the customer by email, 3 the logs
    with django_assert_num_queries(3):
        response = rw_client.get(f"/customers/matt@example.com/logs?count={count}")
    assert len(ids(response)) == count


def test_an_erased_customers_logs_are_not_found(rw_client, customer):
    EmailLogFactory(customer=customer)
    rw_client.delete("/customers/matt@example.com")
    assert rw_client.get("/customers/matt@example.com/logs").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("created_gt=253402300799", []),  # the documented maximum: nothing is after it
        ("created_gt=253402300798", ["newest"]),
        ("created_lt=253402300799", ["oldest"]),  # exclusive
        ("created_lt=0", []),
        ("created_gt=0", ["newest", "oldest"]),
        ("created_lt=1&created_gt=0", []),
    ],
)
def test_the_extreme_time_bounds_answer_200(rw_client, customer, query, expected):
    EmailLogFactory(customer=customer, created=T0, public_id="oldest")
    EmailLogFactory(
        customer=customer,
        created=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        public_id="newest",
    )
    response = rw_client.get(f"/customers/matt@example.com/logs?{query}")
    assert response.status_code == 200, response.content
    assert ids(response) == expected


def test_a_time_bound_past_year_9999_is_the_customers_400(rw_client, customer):
    response = rw_client.get("/customers/matt@example.com/logs?created_gt=253402300800")
    assert response.status_code == 400
    assert response.json()["success"] is False
