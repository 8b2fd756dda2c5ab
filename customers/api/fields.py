"""Request parsing that accepts exactly what the OpenAPI document says, no more.

DRF is lenient by default: a BooleanField takes `0` or `"yes"`, an IntegerField `"5"`, a
CharField `5`, a UUIDField `{…}` or 32 bare hex digits, and an empty query parameter (`?select=`)
counts as absent. The schema promises JSON types and canonical spellings, so request serializers
derive from `StrictSerializer` (JSON bodies) or `StrictQuerySerializer` (query strings), and
UUIDs are read with `StrictUUIDField`. Email addresses, in every dialect, are read with
`EmailAddressField` (the project's one syntax).
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..normalisation import EMAIL_MAX_LENGTH, InvalidEmail, clean_email, is_canonical_uuid


class StrictUUIDField(serializers.UUIDField):
    """Only the 8-4-4-4-12 hex spelling (any case)."""

    def to_internal_value(self, data):
        if not is_canonical_uuid(data):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "string",
        "format": "idn-email",
        "maxLength": EMAIL_MAX_LENGTH,
        # clean_email refuses "/", control characters and Latin-1 symbols (non-ASCII local
        # parts are letters, marks and digits only).
        "pattern": "^[^/\\x00-\\x1f\\x7f-\\xbf\\xd7\\xf7]*$",
    }
)
class EmailAddressField(serializers.CharField):
    """An email address in the project's one syntax (customers.normalisation.clean_email):
    international local parts and domains accepted, "/" refused, at most 254 characters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", EMAIL_MAX_LENGTH)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Enter a valid email address.")
        return super().to_internal_value(data)

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)  # required, blank, null and length first
        if value is None:
            return value
        try:
            return clean_email(value)
        except InvalidEmail as exc:
            raise serializers.ValidationError(str(exc)) from exc


_JSON_VALUE_REF = {"$ref": "#/components/schemas/JsonValue"}
JSON_VALUE_SCHEMA = {
    "description": "Any JSON value, as stored: a string, number, boolean, object, array or null",
    "nullable": True,
    "anyOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "object", "additionalProperties": _JSON_VALUE_REF},
        {"type": "array", "items": _JSON_VALUE_REF},
    ],
}


@extend_schema_field(JSON_VALUE_SCHEMA, component_name="JsonValue")
class JsonValueField(serializers.JSONField):
    """A value the server stores as given (ledger values, a customer's data fields)."""


@extend_schema_field({"type": "object", "additionalProperties": _JSON_VALUE_REF})
class JsonObjectField(serializers.JSONField):
    """A JSON object whose values are any JSON (a customer's data fields)."""


def _json_type_error(field, value) -> str | None:
    """Why `value` has the wrong JSON type for `field`, or None."""
    if value is None:
        return None  # allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(field, (serializers.IntegerField, serializers.FloatField)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(field, serializers.IntegerField) and isinstance(value, float):
            ok = value.is_integer()
        return None if ok else "Must be a number."
    if isinstance(field, (serializers.CharField, serializers.UUIDField)):
        return None if isinstance(value, str) else "Must be a string."
    if isinstance(field, serializers.ChoiceField) and all(
        isinstance(choice, str) for choice in field.choices
    ):
        return None if isinstance(value, str) else "Must be a string."
    if isinstance(field, (serializers.ListField, serializers.ListSerializer)):
        return None if isinstance(value, list) else "Must be a list."
    if isinstance(field, serializers.Serializer):
        return None if isinstance(value, dict) else "Must be an object."
    return None


class StrictSerializer(serializers.Serializer):
    """A JSON body: each field's value must already have the field's JSON type.

    With `reject_unknown_fields = True`, keys it does not know are errors too (and the schema
    says `additionalProperties: false`).
    """

    reject_unknown_fields = False

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            if self.reject_unknown_fields:
                errors = {name: ["Unknown field."] for name in sorted(set(data) - set(self.fields))}
            for name, field in self.fields.items():
                if field.read_only or field.source == "*" or name not in data:
                    continue
                message = _json_type_error(field, data[name])
                if message:
                    errors[name] = [message]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictQuerySerializer(serializers.Serializer):
    """Query parameters: one given empty (`?select=`) is invalid, not absent."""

    def to_internal_value(self, data):
        empty = [name for name in self.fields if name in data and data.get(name) == ""]
        if empty:
            raise serializers.ValidationError({name: ["Must not be empty."] for name in empty})
        return super().to_internal_value(data)
