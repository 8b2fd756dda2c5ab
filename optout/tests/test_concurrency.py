"""Concurrent requests on PostgreSQL: idempotency by messageUUID and one row per address."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from conftest import client_for
from customers.models import ConsentEvent
from optout.models import CommunicationStatus, ProcessedMessage
from optout.tests.test_optoutstatus import body, email, post

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Needs PostgreSQL: SQLite serialises every writer, so nothing runs concurrently.",
    ),
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 5


def post_together(user, department, bodies):
    """POST every body at once, each from its own thread and database connection."""
    barrier = threading.Barrier(len(bodies))

    def send(request_body):
        try:
            client = client_for(user)
            barrier.wait(timeout=10)
            return post(client, department, request_body)
        finally:
            connection.close()

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(send, bodies))


def warning_codes(response):
    return [w["warningCode"] for w in response.json()["warnings"]]


def test_two_concurrent_requests_with_one_message_uuid_apply_once(rw_user, department):
    for round_number in range(ROUNDS):
        message_uuid = str(uuid.uuid4())
        responses = post_together(
            rw_user,
            department,
            [
                body(email(f"a{round_number}@example.com", False), messageUUID=message_uuid),
                body(email(f"b{round_number}@example.com", False), messageUUID=message_uuid),
            ],
        )
        assert [r.status_code for r in responses] == [200, 200]
        assert sorted(warning_codes(r) for r in responses) == [[], ["DUPLICATE_MESSAGE"]]
    assert CommunicationStatus.objects.count() == ROUNDS
    assert ConsentEvent.objects.count() == ROUNDS
    assert ProcessedMessage.objects.count() == ROUNDS


def test_concurrent_messages_creating_one_address_leave_one_row(rw_user, department):
    for round_number in range(ROUNDS):
        item = email(f"same{round_number}@example.com", False)
        responses = post_together(rw_user, department, [body(item), body(item)])
        assert [r.status_code for r in responses] == [200, 200]
        # One created it; the other found it already opted out.
        assert sorted(warning_codes(r) for r in responses) == [[], ["ALREADY_IN_REQUESTED_STATE"]]
    assert CommunicationStatus.objects.count() == ROUNDS
    assert ConsentEvent.objects.count() == ROUNDS
