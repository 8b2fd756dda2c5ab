"""processSynchronously: false, the Celery task, and its in-process (eager) fallback."""

import uuid
from unittest import mock

import pytest
from django.db import OperationalError

from customers.models import ConsentEvent
from customers.normalisation import address_key
from optout import services, tasks
from optout.models import CommunicationStatus, ProcessedMessage
from optout.tests.test_optoutstatus import body, email, post, sms

pytestmark = pytest.mark.django_db


def test_an_asynchronous_request_answers_at_once_and_is_queued(rw_client, department):
    with mock.patch.object(tasks.apply_queued_message, "delay") as delay:
        response = post(rw_client, department, body(processSynchronously=False))
        # Queued only once the request's transaction commits (the test never commits it).
        delay.assert_not_called()
    assert response.json() == {"errors": [], "warnings": []}
    assert not CommunicationStatus.objects.exists()
    message = ProcessedMessage.objects.get()
    assert message.state == "queued"
    assert message.payload["items"][0]["communication_value"] == "+12025550143"


def test_without_a_broker_the_task_runs_in_process_after_commit(
    rw_client, rw_user, department, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(rw_client, department, body(processSynchronously=False))
    assert response.status_code == 200
    assert len(callbacks) == 1
    assert CommunicationStatus.objects.get().ok_to_communicate is False
    event = ConsentEvent.objects.get()
    # The worker records who asked, through which route, and that it applied the change.
    assert (event.source, event.actor) == ("worker", rw_user.username)
    assert "optoutstatus" in event.source_detail
    message = ProcessedMessage.objects.get()
    assert (message.state, message.payload) == ("applied", None)


def test_an_invalid_asynchronous_request_is_refused_up_front(rw_client, department):
    response = post(rw_client, department, body(sms("12", False), processSynchronously=False))
    assert response.status_code == 400
    assert not ProcessedMessage.objects.exists()


def test_an_asynchronous_replay_is_a_duplicate_even_before_it_is_applied(rw_client, department):
    message_uuid = str(uuid.uuid4())
    post(rw_client, department, body(messageUUID=message_uuid, processSynchronously=False))
    replay = post(rw_client, department, body(messageUUID=message_uuid, processSynchronously=False))
    assert replay.json()["warnings"][0]["warningCode"] == "DUPLICATE_MESSAGE"
    assert ProcessedMessage.objects.count() == 1


def queue(rw_client, department, *items):
    post(rw_client, department, body(*items, processSynchronously=False))
    return ProcessedMessage.objects.latest("id")


def test_the_task_applies_a_queued_message_once_however_often_it_runs(rw_client, department):
    message = queue(rw_client, department, email("a@example.com", False), sms("2025550143", False))
    assert "created 2" in tasks.apply_queued_message.apply(args=[message.pk]).get()
    assert tasks.apply_queued_message.apply(args=[message.pk]).get() == "nothing to do"
    assert CommunicationStatus.objects.count() == 2
    assert ConsentEvent.objects.count() == 2


def test_the_task_retries_a_database_error_and_never_applies_half(rw_client, department):
    message = queue(rw_client, department, email("a@example.com", False), sms("2025550143", False))
    real_bulk_create = CommunicationStatus.objects.bulk_create
    calls = []

    def flaky_bulk_create(objs, *args, **kwargs):
        calls.append(len(objs))
        if len(calls) == 1:
            raise OperationalError("connection lost")
        return real_bulk_create(objs, *args, **kwargs)

    with (
        mock.patch.object(CommunicationStatus.objects, "bulk_create", flaky_bulk_create),
        mock.patch.object(
            tasks.apply_queued_message, "retry", wraps=tasks.apply_queued_message.retry
        ) as retry,
    ):
        # In eager mode the retry runs at once, inside this call.
        tasks.apply_queued_message.apply(args=[message.pk], throw=False)
    assert retry.called
    assert calls == [2, 2]
    assert CommunicationStatus.objects.count() == 2
    assert ConsentEvent.objects.count() == 2
    message.refresh_from_db()
    assert message.state == "applied"


def test_a_failed_try_leaves_the_message_queued_and_nothing_applied(rw_client, department):
    message = queue(rw_client, department, email("a@example.com", False), sms("2025550143", False))
    with (
        # The ledger insert is the last write of the apply: failing there must undo the rest.
        mock.patch.object(services, "record_changes", side_effect=OperationalError("disk full")),
        pytest.raises(OperationalError),
    ):
        services.optout_queued_message_apply(processed_message_id=message.pk)
    assert not CommunicationStatus.objects.exists()
    message.refresh_from_db()
    assert message.state == "queued"


def test_an_unreachable_broker_falls_back_to_applying_in_process(
    rw_client, department, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(
            tasks.apply_queued_message, "delay", side_effect=ConnectionError("no broker")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(rw_client, department, body(processSynchronously=False))
    assert response.status_code == 200
    assert CommunicationStatus.objects.count() == 1
    assert ProcessedMessage.objects.get().state == "applied"


def _queue_for(rw_client, department, customer, value_item):
    with mock.patch.object(tasks.apply_queued_message, "delay"):
        post(rw_client, department, body(value_item, processSynchronously=False))
    return ProcessedMessage.objects.get()


def _erase(customer):
    from customers.ledger import Provenance
    from customers.services import customer_erase

    customer_erase(customer=customer, provenance=Provenance(source="system"))


@pytest.mark.parametrize("linked", [True, False], ids=["by-customer-uuid", "by-address-only"])
def test_erasure_redacts_a_queued_request_that_names_the_customer(rw_client, department, linked):
    from customers.tests.factories import CustomerFactory

    customer = CustomerFactory(organisation=department.organisation, phone="+12025550143")
    extra = {"customerUUID": str(customer.uuid)} if linked else {}
    message = _queue_for(rw_client, department, customer, sms("(202) 555-0143", False, **extra))
    _erase(customer)
    message.refresh_from_db()
    text = str(message.payload)
    assert "2025550143" not in text
    assert message.payload["provenance"]["ip_address"] is None
    # The opt-out is still applied, to the erased (hashed) address: never lost, never plaintext.
    services.optout_queued_message_apply(processed_message_id=message.pk)
    status = CommunicationStatus.objects.get()
    assert status.communication_value.startswith("erased:")
    assert status.ok_to_communicate is False
    assert not CommunicationStatus.objects.filter(communication_value="+12025550143").exists()
    event = ConsentEvent.objects.get(kind="optout.status")
    assert event.subject_key == address_key("+12025550143")


def test_the_worker_never_writes_plaintext_to_an_erased_customer(rw_client, department):
    from customers.tests.factories import CustomerFactory

    customer = CustomerFactory(organisation=department.organisation, phone="+12025550143")
    item = sms("(202) 555-0143", False, customerUUID=str(customer.uuid))
    message = _queue_for(rw_client, department, customer, item)
    # Erased behind the erasure's back (a payload it could not redact): the worker still hashes.
    customer.erased_at = customer.updated_at
    customer.save(update_fields=["erased_at"])
    services.optout_queued_message_apply(processed_message_id=message.pk)
    status = CommunicationStatus.objects.get()
    assert status.communication_value.startswith("erased:")
    event = ConsentEvent.objects.get(kind="optout.status")
    assert (event.ip_address, event.user_agent) == (None, "")


def test_erasure_leaves_other_customers_queued_requests_alone(rw_client, department):
    from customers.tests.factories import CustomerFactory

    erased = CustomerFactory(organisation=department.organisation, phone="+12025550143")
    message = _queue_for(rw_client, department, erased, sms("(202) 555-0199", False))
    before = message.payload
    _erase(erased)
    message.refresh_from_db()
    assert message.payload == before
