"""Serializer fields shared by every dialect."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..normalisation import EMAIL_MAX_LENGTH, InvalidEmail, clean_email


@extend_schema_field({"type": "string", "format": "idn-email", "maxLength": EMAIL_MAX_LENGTH})
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
