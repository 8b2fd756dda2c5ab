"""Pieces of the v2 dialect (seed 002) shared by the preferences and subscriptions apps:
the `contact` object, the seed's time format, and date path parameters."""

from datetime import UTC, datetime, timedelta

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from ..contact_status import statuses_of
from .fields import EmailAddressField, JsonValueField


def v2_time(value: datetime) -> str:
    """`2020-01-01T09:40:18.527Z`, as the seed writes times (milliseconds cut, not rounded)."""
    # Times read from the database are in UTC already: no conversion, and the "+00:00" that
    # isoformat ends with is cut off rather than searched for (half the cost, 1,000 a page).
    if value.utcoffset() != _ZERO:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"


_ZERO = timedelta(0)


def parse_since(text: str) -> datetime:
    """An ISO 8601 date (00:00 UTC) or date-time (naive = UTC); anything else is a 400."""
    try:
        value = datetime.fromisoformat(str(text).strip())
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValidationError(
            {"date": [f"{text!r} is not an ISO 8601 date or date-time."]}
        ) from exc


def v2_data_fields(data_fields: dict | None):
    """`dataFields` as the seed shows it: a list of {key, value}, or null when there are none."""
    if not data_fields:
        return None
    return [{"key": key, "value": value} for key, value in data_fields.items()]


def v2_contact(customer, status: str) -> dict:
    return {
        "id": customer.pk,
        "email": customer.email,
        "optInType": customer.opt_in_type,
        "emailType": customer.email_type,
        "dataFields": v2_data_fields(customer.data_fields),
        "status": status,
    }


def v2_contacts(customers) -> list[dict]:
    """Many contacts, with their statuses looked up in one go."""
    customers = list(customers)
    statuses = statuses_of(customers)
    return [v2_contact(customer, statuses[customer.pk]) for customer in customers]


V2ContactSerializer = inline_serializer(
    name="V2Contact",
    fields={
        "id": serializers.IntegerField(),
        "email": EmailAddressField(allow_null=True),
        "optInType": serializers.CharField(),
        "emailType": serializers.CharField(),
        "dataFields": serializers.ListField(
            child=inline_serializer(
                name="V2DataField",
                fields={"key": serializers.CharField(), "value": JsonValueField()},
            ),
            allow_null=True,
            help_text="The contact's data fields (values as stored), or null when there are none",
        ),
        "status": serializers.CharField(),
    },
)
