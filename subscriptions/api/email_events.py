"""POST /consent/v1/email-events and …/email-events/sendgrid: delivery events of sent mail.

Each event becomes an email log of the customer with that address (seed 004's logs route shows
it); hard bounces, complaints and unsubscribes suppress the address. The work is one service,
subscriptions.services.email_events_record: it writes logs (emaillogs, below us) and the
suppression list (ours), so it lives here, the lowest app that may use both.

Events are checked by hand rather than by a DRF serializer per item: at 10,000 events the
serializer machinery would cost more than the writes. The serializers below describe the shapes
for the OpenAPI schema.
"""

import base64
import binascii
import logging
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from customers.api.base import OrganisationScopedView
from customers.api.dialects import SERVICE
from customers.normalisation import InvalidEmail, clean_email, normalise_email
from emaillogs.services import DeliveryEvent

from .. import services

logger = logging.getLogger("consent.email_events")

TAG = "Service: email events"
MAX_EVENTS = 10_000
# Unix seconds up to the year 9999.
MAX_UNIX_SECONDS = 253402300799
EVENTS = (
    "processed",
    "delivered",
    "deferred",
    "opened",
    "clicked",
    "bounce",
    "hard_bounce",
    "soft_bounce",
    "dropped",
    "spamreport",
    "unsubscribe",
)
# Optional text fields of an event: request key → (DeliveryEvent field, longest accepted).
TEXT_FIELDS = {
    "messageId": ("message_id", 255),
    "emailId": ("email_id", 64),
    "emailName": ("email_name", 200),
    "emailVersion": ("email_version", 200),
    "recipientName": ("recipient_name", 200),
    "message": ("message", 1000),
    "reason": ("message", 1000),
}
# SendGrid's event names → ours. A `bounce` is hard unless its `type` is `blocked`.
SENDGRID_EVENTS = {
    "processed": "processed",
    "delivered": "delivered",
    "deferred": "deferred",
    "open": "opened",
    "click": "clicked",
    "bounce": "bounce",
    "dropped": "dropped",
    "spamreport": "spamreport",
    "unsubscribe": "unsubscribe",
    "group_unsubscribe": "group_unsubscribe",
    "group_resubscribe": "group_resubscribe",
}
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


# Schema -----------------------------------------------------------------------------------------
@extend_schema_field(
    {
        "anyOf": [
            {"type": "number", "description": "Unix seconds"},
            {"type": "string", "format": "date-time"},
        ]
    }
)
class _EventTimeField(serializers.JSONField):
    """When the event happened: unix seconds (a number) or an ISO 8601 date-time."""


class EmailEventRequestSerializer(serializers.Serializer):
    # Optional texts as parse_event reads them: null or "" is the same as absent.
    email = serializers.EmailField()
    event = serializers.ChoiceField(choices=EVENTS)
    timestamp = _EventTimeField(help_text="Unix seconds (a number) or ISO 8601")
    messageId = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=255
    )
    emailId = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=64
    )
    emailName = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=200
    )
    emailVersion = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=200
    )
    recipientName = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=200
    )
    message = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=1000
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=1000
    )


class SendGridEventSerializer(serializers.Serializer):
    email = serializers.EmailField()
    event = serializers.ChoiceField(choices=sorted(SENDGRID_EVENTS))
    timestamp = serializers.IntegerField(help_text="Unix seconds")
    sg_message_id = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    sg_event_id = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    type = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Of a bounce: bounce is hard, blocked is soft; others are ignored",
    )
    reason = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class EmailEventsResultSerializer(serializers.Serializer):
    logged = serializers.IntegerField(help_text="Email logs written")
    suppressed = serializers.IntegerField(help_text="Addresses newly put on the suppression list")
    duplicates = serializers.IntegerField(help_text="Replays: same messageId and event, ignored")
    unknownAddresses = serializers.IntegerField(help_text="Events of addresses with no customer")


RESULT_EXAMPLE = OpenApiExample(
    "Counts",
    response_only=True,
    value={"logged": 2, "suppressed": 1, "duplicates": 0, "unknownAddresses": 1},
)


# Parsing ---------------------------------------------------------------------------------------
def _events_list(data) -> list:
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_EVENTS:
        raise ValidationError(
            {"non_field_errors": [f"The body must be a JSON array of 1 to {MAX_EVENTS:,} events."]}
        )
    return data


def _email(item) -> str:
    try:
        return normalise_email(clean_email(item.get("email")))
    except InvalidEmail as exc:
        raise _ItemError("email", str(exc)) from exc


def _time(value) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 0 <= value <= MAX_UNIX_SECONDS:
            raise _ItemError("timestamp", "Unix seconds out of range.")
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str) and len(value) <= 64:
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            moment = None
        if moment is not None:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise _ItemError("timestamp", "Unix seconds or an ISO 8601 date-time.")


class _ItemError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _parse_all(items: list, parse_one) -> list[DeliveryEvent]:
    """Every item parsed, or a 400 naming the bad items by index (nothing is applied)."""
    events, errors = [], {}
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise _ItemError("", "An event is a JSON object.")
            events.append(parse_one(item))
        except _ItemError as exc:
            errors[f"[{index}].{exc.field}" if exc.field else f"[{index}]"] = [str(exc)]
            if len(errors) >= 100:  # enough to fix the request by
                break
    if errors:
        raise ValidationError(errors)
    return events


_EVENT_NAMES = frozenset(EVENTS)
_TEXT_FIELD_LIST = tuple((key, name, longest) for key, (name, longest) in TEXT_FIELDS.items())


def parse_event(item: dict) -> DeliveryEvent:
    event = item.get("event")
    if not isinstance(event, str) or event not in _EVENT_NAMES:
        raise _ItemError("event", f"One of: {', '.join(EVENTS)}.")
    values = {}
    if not TEXT_FIELDS.keys().isdisjoint(item):
        for key, name, longest in _TEXT_FIELD_LIST:
            value = item.get(key)
            if value is None:
                continue
            if not isinstance(value, str) or len(value) > longest or "\x00" in value:
                raise _ItemError(key, f"A string of at most {longest} characters.")
            if key == "reason" and values.get("message"):
                continue  # message wins over reason
            values[name] = value
    return DeliveryEvent(_email(item), event, _time(item.get("timestamp")), **values)


def parse_sendgrid_event(item: dict) -> DeliveryEvent:
    name = item.get("event")
    event = SENDGRID_EVENTS.get(name) if isinstance(name, str) else None
    if event is None:
        raise _ItemError("event", f"One of: {', '.join(sorted(SENDGRID_EVENTS))}.")
    for key in ("type", "sg_event_id"):
        if item.get(key) is not None and (not isinstance(item[key], str) or "\x00" in item[key]):
            raise _ItemError(key, "A string.")
    if event == "bounce" and item.get("type") == "blocked":
        event = "blocked"  # refused for now by the receiving server: not a dead mailbox
    timestamp = item.get("timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise _ItemError("timestamp", "Unix seconds.")
    values = {}
    for key, name, longest in (("sg_message_id", "message_id", 255), ("reason", "message", 1000)):
        value = item.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or "\x00" in value:
            raise _ItemError(key, "A string.")
        values[name] = value[:longest]
    return DeliveryEvent(email=_email(item), event=event, created=_time(timestamp), **values)


# Signature -------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _public_key(configured: str):
    text = configured.strip()
    if text.startswith("-----BEGIN"):
        return serialization.load_pem_public_key(text.encode())
    return serialization.load_der_public_key(base64.b64decode(text))


def sendgrid_signature_valid(*, public_key: str, signature: str, timestamp: str, body: bytes):
    """SendGrid's check: ECDSA (P-256, SHA-256) over the timestamp header + the raw body."""
    try:
        key = _public_key(public_key)
    except (ValueError, TypeError, binascii.Error):
        logger.error("SENDGRID_WEBHOOK_PUBLIC_KEY is not a public key; refusing events.")
        return False
    if not isinstance(key, ec.EllipticCurvePublicKey):
        logger.error("SENDGRID_WEBHOOK_PUBLIC_KEY is not an elliptic-curve key.")
        return False
    try:
        key.verify(
            base64.b64decode(signature, validate=True),
            timestamp.encode() + body,
            ec.ECDSA(hashes.SHA256()),
        )
    except (InvalidSignature, ValueError, binascii.Error, UnicodeError):
        return False
    return True


# Views -----------------------------------------------------------------------------------------
def _render(recorded: services.EmailEventsRecorded) -> dict:
    return {
        "logged": recorded.logged,
        "suppressed": recorded.suppressed,
        "duplicates": recorded.duplicates,
        "unknownAddresses": recorded.unknown_addresses,
    }


class EmailEventsView(OrganisationScopedView):
    dialect = SERVICE

    @extend_schema(
        operation_id="service_email_events_record",
        tags=[TAG],
        summary="Record delivery events (up to 10,000)",
        description=(
            "Each event becomes an email log of the customer with that address; a replay (same "
            "messageId and event) writes nothing. bounce and hard_bounce suppress the address "
            "as HardBounced, spamreport as IspComplained, unsubscribe as Unsubscribed, also "
            "without a customer. One invalid event makes the whole request a 400 naming it."
        ),
        request=EmailEventRequestSerializer(many=True, min_length=1, max_length=MAX_EVENTS),
        responses={200: EmailEventsResultSerializer, **SERVICE.error_responses(400, 401, 403)},
        examples=[
            # drf-spectacular lists a many=True request's example itself: one event each.
            OpenApiExample(
                "A delivery",
                request_only=True,
                value={
                    "email": "ada@example.org",
                    "event": "delivered",
                    "timestamp": 1767225600,
                    "messageId": "msg-1",
                    "emailName": "Spring sale",
                },
            ),
            OpenApiExample(
                "A hard bounce",
                request_only=True,
                value={
                    "email": "old@example.org",
                    "event": "hard_bounce",
                    "timestamp": "2026-01-01T00:00:05Z",
                    "messageId": "msg-2",
                    "reason": "550 5.1.1 mailbox unknown",
                },
            ),
            RESULT_EXAMPLE,
        ],
    )
    def post(self, request):
        events = _parse_all(_events_list(request.data), parse_event)
        recorded = services.email_events_record(
            organisation=self.organisation, events=events, provenance=self.provenance()
        )
        return Response(_render(recorded))


class SendGridEventsView(OrganisationScopedView):
    dialect = SERVICE

    @extend_schema(
        operation_id="service_email_events_sendgrid",
        tags=[TAG],
        summary="SendGrid's Event Webhook",
        description=(
            "The payload as SendGrid sends it. A bounce of type `bounce` is hard (HardBounced), "
            "of type `blocked` only logged. With SENDGRID_WEBHOOK_PUBLIC_KEY set, the request "
            f"must carry a valid `{SIGNATURE_HEADER}` over `{TIMESTAMP_HEADER}` + body "
            "(ECDSA P-256, SHA-256), else 403."
        ),
        parameters=[
            OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER),
            OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER),
        ],
        request=SendGridEventSerializer(many=True, min_length=1, max_length=MAX_EVENTS),
        responses={200: EmailEventsResultSerializer, **SERVICE.error_responses(400, 401, 403)},
        examples=[
            OpenApiExample(
                "A bounce",
                request_only=True,
                # drf-spectacular lists a many=True request's example itself.
                value={
                    "email": "old@example.org",
                    "timestamp": 1767225600,
                    "event": "bounce",
                    "type": "bounce",
                    "sg_event_id": "ZHVtbXkgZXZlbnQ",
                    "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
                    "reason": "550 5.1.1 The email account does not exist.",
                },
            ),
            RESULT_EXAMPLE,
        ],
    )
    def post(self, request):
        public_key = settings.SENDGRID_WEBHOOK_PUBLIC_KEY
        if public_key:
            # The raw body, read before parsing: the signature covers the bytes as sent.
            body = request.body
            if not sendgrid_signature_valid(
                public_key=public_key,
                signature=request.headers.get(SIGNATURE_HEADER, ""),
                timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
                body=body,
            ):
                raise PermissionDenied("The SendGrid signature is missing or invalid.")
        events = _parse_all(_events_list(request.data), parse_sendgrid_event)
        recorded = services.email_events_record(
            organisation=self.organisation, events=events, provenance=self.provenance()
        )
        return Response(_render(recorded))
