"""Seed 004 (`004_494eb9fda1072008.txt`, DESIGN §4e): customers keyed by email.

`GET /customers/{email}`, `POST /customers`, `DELETE /customers/{email}`. Answers are
`{"success": true, "status": "OK", …}`; errors `{"success": false, "status": "<reason>"}`.
The logs route of the same seed lives in emaillogs.api.customers_logs.
"""

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response

from .. import selectors, services
from ..normalisation import InvalidEmail, clean_email
from .base import OrganisationScopedView
from .dialects import CUSTOMERS, DialectError
from .fields import EmailAddressField, JsonObjectField, StrictSerializer

OK = {"success": True, "status": "OK"}

EMAIL_PATH_PARAMETER = OpenApiParameter(
    "email",
    str,
    OpenApiParameter.PATH,
    description="The customer's email, any case; `+`, unicode and percent-encoding are fine.",
)

CustomersOkResponse = inline_serializer(
    name="CustomersOkResponse",
    fields={"success": serializers.BooleanField(), "status": serializers.CharField()},
)


def email_from_path(email: str) -> str:
    """The path's email, or the dialect's 400 when it is not an email address at all."""
    try:
        return clean_email(email)
    except InvalidEmail as exc:
        raise DialectError(f"email: {exc}", status=400) from exc


def unix_seconds(moment) -> int:
    return int(moment.timestamp())


class CustomersCustomerSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    email = EmailAddressField()
    created = serializers.SerializerMethodField(help_text="Unix seconds")
    locale = serializers.CharField()

    def get_object(self, customer) -> str:
        return "customer"

    def get_created(self, customer) -> int:
        return unix_seconds(customer.created_at)


class CustomersCustomerResponse(serializers.Serializer):
    success = serializers.BooleanField()
    status = serializers.CharField()
    customer = CustomersCustomerSerializer()


MAX_DATA_FIELDS = 200
MAX_DATA_KEY_LENGTH = 100


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class CustomersCustomerRequest(StrictSerializer):
    reject_unknown_fields = True

    data = JsonObjectField(
        required=False,
        help_text=(
            "Merged into the customer's data fields: given keys are set, others stay "
            f"(at most {MAX_DATA_FIELDS} keys of up to {MAX_DATA_KEY_LENGTH} characters)"
        ),
    )

    email = EmailAddressField(help_text="Email (key) of the customer")
    locale = serializers.RegexField(
        services.LOCALE_RE.pattern,
        max_length=35,
        required=False,
        help_text="BCP 47 tag, e.g. en, en-US, de-DE",
        error_messages={"invalid": "Enter a BCP 47 language tag such as en, en-US or de-DE."},
    )

    def validate_data(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be an object.")
        if len(value) > MAX_DATA_FIELDS:
            raise serializers.ValidationError(f"At most {MAX_DATA_FIELDS} keys.")
        if any(len(key) > MAX_DATA_KEY_LENGTH for key in value):
            raise serializers.ValidationError(f"Keys are at most {MAX_DATA_KEY_LENGTH} characters.")
        if _has_nul(value):
            # PostgreSQL cannot store NUL in JSON text.
            raise serializers.ValidationError("Must not contain NUL characters.")
        return value

    def validate_locale(self, value):
        try:
            return services.clean_locale(value)
        except services.InvalidCustomerInput as exc:
            raise serializers.ValidationError(str(exc)) from exc


class CustomersCreateView(OrganisationScopedView):
    dialect = CUSTOMERS

    @extend_schema(
        operation_id="customers_create_or_update",
        description="Create or update a customer; the email is the key (any case).",
        request=CustomersCustomerRequest,
        responses={200: CustomersOkResponse, **CUSTOMERS.error_responses(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Create or update",
                value={"email": "matt@example.com", "locale": "de-DE", "data": {"plan": "gold"}},
                request_only=True,
            ),
            OpenApiExample("Done", value=OK, response_only=True),
        ],
    )
    def post(self, request):
        serializer = CustomersCustomerRequest(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.customer_create_or_update(
            organisation=self.organisation,
            provenance=self.provenance(),
            email=data["email"],
            locale=data.get("locale"),
            data_fields=data.get("data"),
        )
        return Response(OK)


class CustomersDetailView(OrganisationScopedView):
    dialect = CUSTOMERS

    @extend_schema(
        operation_id="customers_get",
        description="The customer with this email address (any case).",
        parameters=[EMAIL_PATH_PARAMETER],
        responses={
            200: CustomersCustomerResponse,
            **CUSTOMERS.error_responses(400, 401, 404),
        },
    )
    def get(self, request, email):
        customer = selectors.customer_by_email_or_404(
            organisation=self.organisation, email=email_from_path(email)
        )
        return Response({**OK, "customer": CustomersCustomerSerializer(customer).data})

    @extend_schema(
        operation_id="customers_delete",
        parameters=[EMAIL_PATH_PARAMETER],
        description=(
            "Erase the customer's personal data and their logs' addresses; "
            "the consent history stays, anonymous."
        ),
        responses={200: CustomersOkResponse, **CUSTOMERS.error_responses(400, 401, 403, 404)},
    )
    def delete(self, request, email):
        customer = selectors.customer_by_email_or_404(
            organisation=self.organisation, email=email_from_path(email)
        )
        try:
            services.customer_erase(customer=customer, provenance=self.provenance())
        except services.CustomerAlreadyErased as exc:  # erased by a concurrent request
            raise Http404(str(exc)) from exc
        return Response(OK)
