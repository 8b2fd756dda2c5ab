"""POST /consent/v1/email-events takes a fixed number of queries whatever the number of events.

PostgreSQL only: there every write is one statement; SQLite's bulk inserts are split into batches
of a few hundred rows by Django (its limit on parameters per statement).
"""

import pytest

from customers.models import Customer
from emaillogs.models import EmailLog
from subscriptions.models import Suppression

URL = "/consent/v1/email-events"


@pytest.mark.postgres_only
@pytest.mark.parametrize("count", [1, 100, 10_000], ids=["1", "100", "10000"])
def test_recording_events_takes_the_same_queries_for_any_number(
    rw_client, organisation, count, django_assert_num_queries
):
    Customer.objects.bulk_create(
        Customer(
            organisation=organisation, email=f"c{n}@example.com", email_key=f"c{n}@example.com"
        )
        for n in range(count)
    )
    names = ["delivered", "hard_bounce", "unsubscribe", "spamreport"]
    events = [
        {
            "email": f"c{n}@example.com" if n % 5 != 4 else f"unknown{n}@example.com",
            "event": names[(n + 1) % len(names)],  # the first: a bounce
            "timestamp": 1767225600 + n,
            "messageId": f"m-{n}",
        }
        for n in range(count)
    ]
    rw_client.post(
        URL, [{"email": "warm@example.com", "event": "opened", "timestamp": 1}], format="json"
    )
    # 1 the caller's user; 2 savepoint of the request's service;
    # logs: 3 savepoint, 4 customers, 5 message ids seen before, 6 one insert, 7 release;
    # suppressions: 8 savepoint, 9 customers, 10 lock, 11 existing entries, 12 one insert,
    # 13 one ledger insert, 14 release; 15 release.
    with django_assert_num_queries(15):
        response = rw_client.post(URL, events, format="json")
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["logged"] + body["unknownAddresses"] == count
    assert EmailLog.objects.filter(message_id__startswith="m-").count() == body["logged"]
    assert Suppression.objects.count() == body["suppressed"]
