"""POST /consent/v1/email-events and …/sendgrid: logs, replays, suppression, signatures."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from customers.models import ConsentEvent, Customer
from customers.tests.factories import CustomerFactory
from emaillogs.models import EmailLog
from subscriptions.models import Suppression
from subscriptions.tests.factories import SuppressionFactory, email_status

URL = "/consent/v1/email-events"
SENDGRID_URL = "/consent/v1/email-events/sendgrid"


@pytest.fixture
def ada(organisation):
    return CustomerFactory(organisation=organisation, email="Ada@Example.org")


def event(**fields):
    return {"email": "ada@example.org", "event": "delivered", "timestamp": 1767225600, **fields}


def post(client, events, url=URL):
    return client.post(url, events, format="json")


def nothing_changed():
    return (
        not EmailLog.objects.exists()
        and not Suppression.objects.exists()
        and not ConsentEvent.objects.exists()
    )


def test_an_event_becomes_a_log_of_the_customer(rw_client, ada):
    response = post(
        rw_client,
        [
            event(
                messageId="m-1",
                emailId="tem_1",
                emailName="Spring sale",
                emailVersion="v2",
                recipientName="Ada",
                message="250 OK",
            )
        ],
    )
    assert response.status_code == 200
    assert response.json() == {"logged": 1, "suppressed": 0, "duplicates": 0, "unknownAddresses": 0}
    log = EmailLog.objects.get()
    assert (log.customer, log.status, log.event, log.message_id) == (
        ada,
        "delivered",
        "delivered",
        "m-1",
    )
    assert (log.email_id, log.email_name, log.email_version) == ("tem_1", "Spring sale", "v2")
    assert (log.recipient_name, log.recipient_address, log.message) == (
        "Ada",
        "ada@example.org",
        "250 OK",
    )
    assert log.created.timestamp() == 1767225600


def test_the_log_is_shown_by_the_customers_logs_route(rw_client, ada):
    post(rw_client, [event(event="opened", messageId="m-1")])
    logs = rw_client.get("/customers/ada@example.org/logs").json()["logs"]
    assert [(log["status"], log["created"]) for log in logs] == [("opened", 1767225600)]


def test_an_iso_8601_timestamp_is_accepted(rw_client, ada):
    post(rw_client, [event(timestamp="2026-01-01T00:00:05Z")])
    assert EmailLog.objects.get().created.timestamp() == 1767225605


def test_a_replay_writes_nothing(rw_client, ada):
    body = [event(messageId="m-1"), event(event="hard_bounce", messageId="m-1")]
    post(rw_client, body)
    events_before = ConsentEvent.objects.count()
    response = post(rw_client, body)
    assert response.json() == {"logged": 0, "suppressed": 0, "duplicates": 2, "unknownAddresses": 0}
    assert EmailLog.objects.count() == 2
    assert ConsentEvent.objects.count() == events_before


def test_a_repeat_within_one_batch_is_a_duplicate(rw_client, ada):
    response = post(rw_client, [event(messageId="m-1"), event(messageId="m-1")])
    assert response.json()["duplicates"] == 1
    assert EmailLog.objects.count() == 1


def test_the_same_message_id_with_another_event_is_logged(rw_client, ada):
    response = post(rw_client, [event(messageId="m-1"), event(event="opened", messageId="m-1")])
    assert response.json()["logged"] == 2


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bounce", "HardBounced"),
        ("hard_bounce", "HardBounced"),
        ("spamreport", "IspComplained"),
        ("unsubscribe", "Unsubscribed"),
    ],
)
def test_events_that_suppress_the_address(rw_client, ada, name, reason):
    response = post(rw_client, [event(event=name, messageId="m-1")])
    assert response.json()["suppressed"] == 1
    assert email_status(ada) == reason
    change = ConsentEvent.objects.get(kind="email.suppression")
    assert (change.customer_id, change.new_value, change.source) == (ada.pk, reason, "api")


@pytest.mark.parametrize("name", ["soft_bounce", "deferred", "dropped", "delivered", "clicked"])
def test_other_events_do_not_suppress(rw_client, ada, name):
    post(rw_client, [event(event=name)])
    assert email_status(ada) == "Subscribed"


def test_an_address_without_a_customer_is_suppressed_and_not_logged(rw_client, organisation):
    response = post(rw_client, [event(email="nobody@example.org", event="spamreport")])
    assert response.json() == {"logged": 0, "suppressed": 1, "duplicates": 0, "unknownAddresses": 1}
    assert not EmailLog.objects.exists()
    entry = Suppression.objects.get()
    assert (entry.email, entry.reason) == ("nobody@example.org", "IspComplained")


def test_an_already_suppressed_address_is_not_counted_again(rw_client, ada):
    SuppressionFactory(organisation=ada.organisation, email="ada@example.org", reason="HardBounced")
    response = post(rw_client, [event(event="hard_bounce")])
    assert response.json()["suppressed"] == 0


def test_a_bounce_in_the_batch_outranks_an_unsubscribe(rw_client, ada):
    post(rw_client, [event(event="unsubscribe"), event(event="bounce", messageId="m-2")])
    assert email_status(ada) == "HardBounced"


def test_a_read_only_user_may_not_record_events(ro_client, ada):
    assert post(ro_client, [event()]).status_code == 403
    assert nothing_changed()


def test_events_need_credentials(anon_client, ada):
    assert post(anon_client, [event()]).status_code == 401


def test_another_organisations_customer_is_an_unknown_address(other_client, ada):
    response = post(other_client, [event(event="unsubscribe")])
    assert response.json()["unknownAddresses"] == 1
    assert not EmailLog.objects.exists()
    # The suppression is the caller's organisation's, not the customer's.
    assert email_status(ada) == "Subscribed"
    assert Suppression.objects.get().organisation.slug == "globex"


def test_events_of_another_organisation_with_the_same_message_id_are_not_duplicates(
    rw_client, other_client, ada, other_organisation
):
    CustomerFactory(organisation=other_organisation, email="ada@example.org")
    post(other_client, [event(messageId="m-1")])
    assert post(rw_client, [event(messageId="m-1")]).json()["logged"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@x.org"}, "non_field_errors"),
        ([], "non_field_errors"),
        ([event(), "x"], "[1]"),
        ([event(), event(email="nope")], "[1].email"),
        ([event(), event(email=None)], "[1].email"),
        ([event(), event(event="exploded")], "[1].event"),
        ([event(), event(event=None)], "[1].event"),
        ([event(), event(timestamp="yesterday")], "[1].timestamp"),
        ([event(), event(timestamp=True)], "[1].timestamp"),
        ([event(), event(timestamp=-1)], "[1].timestamp"),
        ([event(), event(timestamp=10**20)], "[1].timestamp"),
        ([event(), event(messageId=7)], "[1].messageId"),
        ([event(), event(messageId="x" * 256)], "[1].messageId"),
        ([event(), event(message="a\x00b")], "[1].message"),
    ],
    ids=[
        "not-a-list",
        "empty",
        "not-an-object",
        "bad-email",
        "null-email",
        "unknown-event",
        "null-event",
        "bad-time",
        "bool-time",
        "negative-time",
        "huge-time",
        "message-id-number",
        "message-id-long",
        "nul-byte",
    ],
)
def test_an_invalid_request_is_a_400_and_changes_nothing(rw_client, ada, body, field):
    response = post(rw_client, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert nothing_changed()


def test_more_than_10000_events_is_a_400(rw_client, ada):
    response = post(rw_client, [event()] * 10_001)
    assert response.status_code == 400
    assert nothing_changed()


def test_malformed_json_is_a_400(rw_client, ada):
    response = rw_client.post(URL, b"[{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"


# SendGrid ---------------------------------------------------------------------------------------
def sendgrid_event(**fields):
    return {
        "email": "ada@example.org",
        "timestamp": 1767225600,
        "event": "delivered",
        "sg_message_id": "sg-1",
        "sg_event_id": "e-1",
        **fields,
    }


def test_sendgrid_events_become_logs(rw_client, ada):
    response = post(
        rw_client,
        [sendgrid_event(), sendgrid_event(event="open"), sendgrid_event(event="click")],
        SENDGRID_URL,
    )
    assert response.json() == {"logged": 3, "suppressed": 0, "duplicates": 0, "unknownAddresses": 0}
    assert sorted(EmailLog.objects.values_list("event", flat=True)) == [
        "clicked",
        "delivered",
        "opened",
    ]


def test_a_sendgrid_bounce_is_hard(rw_client, ada):
    post(rw_client, [sendgrid_event(event="bounce", type="bounce")], SENDGRID_URL)
    assert email_status(ada) == "HardBounced"


def test_a_sendgrid_blocked_bounce_is_only_logged(rw_client, ada):
    response = post(rw_client, [sendgrid_event(event="bounce", type="blocked")], SENDGRID_URL)
    assert response.json()["logged"] == 1
    assert EmailLog.objects.get().event == "blocked"
    assert email_status(ada) == "Subscribed"


@pytest.mark.parametrize(
    ("name", "reason"), [("spamreport", "IspComplained"), ("unsubscribe", "Unsubscribed")]
)
def test_sendgrid_complaints_and_unsubscribes_suppress(rw_client, ada, name, reason):
    post(rw_client, [sendgrid_event(event=name)], SENDGRID_URL)
    assert email_status(ada) == reason


def test_a_sendgrid_replay_writes_nothing(rw_client, ada):
    body = [sendgrid_event(event="bounce", type="bounce")]
    post(rw_client, body, SENDGRID_URL)
    assert post(rw_client, body, SENDGRID_URL).json()["duplicates"] == 1
    assert EmailLog.objects.count() == 1


@pytest.mark.parametrize(
    "item",
    [
        sendgrid_event(event="exploded"),
        sendgrid_event(timestamp="1767225600"),
        sendgrid_event(email="nope"),
        sendgrid_event(sg_message_id=5),
    ],
    ids=["unknown-event", "string-time", "bad-email", "message-id-number"],
)
def test_an_invalid_sendgrid_event_is_a_400_and_changes_nothing(rw_client, ada, item):
    response = post(rw_client, [sendgrid_event(), item], SENDGRID_URL)
    assert response.status_code == 400
    assert next(iter(response.json()["errors"])).startswith("[1]")
    assert nothing_changed()


@pytest.fixture
def signing_key(settings):
    """A key pair of our own; the public half configured as SendGrid shows it (base64 DER)."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = base64.b64encode(der).decode()
    return private_key


def signed_post(client, private_key, body: bytes, timestamp="1767225600", signature=None):
    if signature is None:
        signed = private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        signature = base64.b64encode(signed).decode()
    return client.post(
        SENDGRID_URL,
        body,
        content_type="application/json",
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=signature,
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp,
    )


def test_a_validly_signed_sendgrid_request_is_accepted(rw_client, ada, signing_key):
    body = json.dumps([sendgrid_event()]).encode()
    response = signed_post(rw_client, signing_key, body)
    assert response.status_code == 200
    assert EmailLog.objects.count() == 1


def test_a_pem_public_key_works_too(rw_client, ada, signing_key, settings):
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = (
        signing_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    response = signed_post(rw_client, signing_key, json.dumps([sendgrid_event()]).encode())
    assert response.status_code == 200


def test_an_unsigned_sendgrid_request_is_a_403_when_a_key_is_set(rw_client, ada, signing_key):
    response = post(rw_client, [sendgrid_event(event="unsubscribe")], SENDGRID_URL)
    assert response.status_code == 403
    assert nothing_changed()


def test_a_tampered_body_is_a_403(rw_client, ada, signing_key):
    body = json.dumps([sendgrid_event()]).encode()
    signed = signing_key.sign(b"1767225600" + body, ec.ECDSA(hashes.SHA256()))
    tampered = json.dumps([sendgrid_event(event="unsubscribe")]).encode()
    response = signed_post(
        rw_client, signing_key, tampered, signature=base64.b64encode(signed).decode()
    )
    assert response.status_code == 403
    assert nothing_changed()


def test_a_signature_over_another_timestamp_is_a_403(rw_client, ada, signing_key):
    body = json.dumps([sendgrid_event()]).encode()
    signed = signing_key.sign(b"1" + body, ec.ECDSA(hashes.SHA256()))
    response = signed_post(
        rw_client, signing_key, body, signature=base64.b64encode(signed).decode()
    )
    assert response.status_code == 403


def test_a_signature_by_another_key_is_a_403(rw_client, ada, signing_key):
    body = json.dumps([sendgrid_event()]).encode()
    response = signed_post(rw_client, ec.generate_private_key(ec.SECP256R1()), body)
    assert response.status_code == 403


def test_a_garbage_signature_is_a_403(rw_client, ada, signing_key):
    body = json.dumps([sendgrid_event()]).encode()
    response = signed_post(rw_client, signing_key, body, signature="%%%not-base64")
    assert response.status_code == 403


def test_without_a_key_no_signature_is_needed(rw_client, ada, settings):
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = ""
    assert post(rw_client, [sendgrid_event()], SENDGRID_URL).status_code == 200


def test_the_sendgrid_route_needs_credentials(anon_client, ada):
    assert post(anon_client, [sendgrid_event()], SENDGRID_URL).status_code == 401


def test_the_sendgrid_route_refuses_read_only_users(ro_client, ada):
    assert post(ro_client, [sendgrid_event()], SENDGRID_URL).status_code == 403


def test_customers_stay_as_they_were(rw_client, ada):
    post(rw_client, [event(email="new@example.org")])
    assert list(Customer.objects.all()) == [ada]
