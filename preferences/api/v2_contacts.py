"""The v2 contact operations its clients call around seed 002 (the vendor's excerpt
`dotdigital-v2-contacts-excerpt.openapi.json`): get a contact by id or email, create or update
one, read it with the ledger's proof of consent, and write contact, consent record and preference
opt-ins in one all-or-nothing call.
"""

import ipaddress
from datetime import UTC, datetime
from urllib.parse import urlsplit

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from customers import selectors as customer_selectors
from customers.api.base import OrganisationScopedView
from customers.api.dialects import V2, DialectError
from customers.api.fields import EmailAddressField, StrictSerializer
from customers.api.v2_contact import V2ContactSerializer, v2_contacts, v2_time
from customers.models import Customer
from customers.normalisation import normalise_email

from .. import selectors, services
from .v2 import MAX_STATES, V2ContactPreferenceStateTreeSerializer

TAG = "v2: contacts"
MAX_DATA_FIELDS = 200
MAX_CONSENT_RECORDS = 10
CONTACT_PARAM = OpenApiParameter(
    "contactIdentifier", str, OpenApiParameter.PATH, description="Contact id or email address"
)
CONTACT_ID_PARAM = OpenApiParameter("contactId", int, OpenApiParameter.PATH)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


# Requests ----------------------------------------------------------------------------------------
@extend_schema_field(
    {
        "description": "A string (up to 2000 characters), number, boolean or null",
        "nullable": True,
        "anyOf": [{"type": "string", "maxLength": 2000}, {"type": "number"}, {"type": "boolean"}],
    }
)
class _DataFieldValueField(serializers.JSONField):
    """A data field's value: a scalar JSON value (objects and arrays are refused below)."""


class V2ContactDataFieldRequestSerializer(StrictSerializer):
    key = serializers.CharField(max_length=100)
    value = _DataFieldValueField(allow_null=True)

    def validate_value(self, value):
        if isinstance(value, (dict, list)) or _has_nul(value):
            raise serializers.ValidationError("Must be a string, number, boolean or null.")
        if isinstance(value, str) and len(value) > 2000:
            raise serializers.ValidationError("At most 2000 characters.")
        return value


class V2ApiContactRequestSerializer(StrictSerializer):
    id = serializers.IntegerField(required=False, min_value=0, help_text="Ignored on create")
    email = EmailAddressField()
    optInType = serializers.ChoiceField(
        choices=Customer.OptInType.values, required=False, allow_null=True
    )
    emailType = serializers.ChoiceField(
        choices=Customer.EmailType.values, required=False, allow_null=True
    )
    # A ListField, not many=True: a null list is allowed, a null item is not.
    dataFields = serializers.ListField(
        child=V2ContactDataFieldRequestSerializer(),
        required=False,
        allow_null=True,
        max_length=MAX_DATA_FIELDS,
    )
    status = serializers.CharField(required=False, help_text="Ignored: the status is ours")


class V2ConsentRequestSerializer(StrictSerializer):
    """One consent record as `fields` [{key, value}]; keys in any case."""

    id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    fields = V2ContactDataFieldRequestSerializer(many=True, max_length=10)

    def validate_fields(self, items):
        names = {name.casefold(): name for name in customer_selectors.CONSENT_FIELDS}
        record = {}
        for item in items:
            name = names.get(item["key"].casefold())
            if name is None:
                raise serializers.ValidationError(
                    f"Unknown consent field {item['key']!r}; use "
                    + ", ".join(customer_selectors.CONSENT_FIELDS)
                    + "."
                )
            value = item["value"]
            record[name] = "" if value is None else str(value)
        return _clean_consent(record)


def _clean_consent(record: dict) -> dict:
    text = record.get("text", "")
    if len(text) > 10_000:
        raise serializers.ValidationError("text: at most 10000 characters.")
    moment = record.get("dateTimeConsented")
    if moment:
        try:
            parsed = datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise serializers.ValidationError(
                "dateTimeConsented: not an ISO 8601 date-time."
            ) from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        record["dateTimeConsented"] = parsed.astimezone(UTC).isoformat()
    url = record.get("url")
    if url:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or len(url) > 2000:
            raise serializers.ValidationError("url: an absolute http or https URL.")
    address = record.get("ipAddress")
    if address:
        try:
            record["ipAddress"] = str(ipaddress.ip_address(address.strip()))
        except ValueError as exc:
            raise serializers.ValidationError("ipAddress: not an IP address.") from exc
    if len(record.get("userAgent", "")) > 512:
        raise serializers.ValidationError("userAgent: at most 512 characters.")
    return {name: value for name, value in record.items() if value}


class V2ContactWithConsentAndPreferencesRequestSerializer(StrictSerializer):
    contact = V2ApiContactRequestSerializer()
    # ListFields, not many=True: a null list is allowed, a null item is not.
    consentFields = serializers.ListField(
        child=V2ConsentRequestSerializer(),
        required=False,
        allow_null=True,
        max_length=MAX_CONSENT_RECORDS,
    )
    preferences = serializers.ListField(
        child=V2ContactPreferenceStateTreeSerializer(),
        required=False,
        allow_null=True,
        max_length=MAX_STATES,
    )


# Responses ---------------------------------------------------------------------------------------
class V2ConsentFieldSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=customer_selectors.CONSENT_FIELDS)
    value = serializers.CharField()


class V2ConsentSerializer(serializers.Serializer):
    fields = V2ConsentFieldSerializer(many=True)


class V2ContactWithConsentSerializer(serializers.Serializer):
    contact = V2ContactSerializer
    consentFields = V2ConsentSerializer(many=True)


class V2ContactWithConsentAndPreferencesSerializer(V2ContactWithConsentSerializer):
    preferences = V2ContactPreferenceStateTreeSerializer(many=True)


def render_consent(record: dict) -> dict:
    fields = []
    for name in customer_selectors.CONSENT_FIELDS:
        value = record.get(name, "")
        if name == "dateTimeConsented" and isinstance(value, str) and value:
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            value = v2_time(value)
        fields.append({"key": name, "value": value})
    return {"fields": fields}


CONTACT_EXAMPLE = {
    "id": 1,
    "email": "john.smith@emailsim.io",
    "optInType": "Single",
    "emailType": "Html",
    "dataFields": [{"key": "FIRSTNAME", "value": "John"}],
    "status": "Subscribed",
}
CONSENT_EXAMPLE = {
    "fields": [
        {"key": "text", "value": "Yes, send me news about offers."},
        {"key": "dateTimeConsented", "value": "2024-05-01T09:30:00.000Z"},
        {"key": "url", "value": "https://shop.example.com/signup"},
        {"key": "ipAddress", "value": "203.0.113.7"},
        {"key": "userAgent", "value": "Mozilla/5.0"},
    ]
}
PREFERENCES_EXAMPLE = [{"id": 3, "isPreference": True, "isOptedIn": True}]


# Views -------------------------------------------------------------------------------------------
class V2ContactsView(OrganisationScopedView):
    dialect = V2

    def contact(self, identifier) -> Customer:
        return selectors.contact_or_404(organisation=self.organisation, identifier=identifier)

    def save(self, data: dict, *, consent=None, states=None):
        """Create or update the contact of a validated ApiContact body (and opt-ins)."""
        return services.contact_save_with_consent_and_preferences(
            organisation=self.organisation,
            email=data["email"],
            opt_in_type=data.get("optInType"),
            email_type=data.get("emailType"),
            data_fields={item["key"]: item["value"] for item in data.get("dataFields") or []},
            consent=consent,
            states=states or {},
            provenance=self.provenance(),
        )

    def states(self, items) -> dict[int, bool]:
        """{preference id: opted in} of the body's preferences: 400/404 before anything changes."""
        try:
            return selectors.contact_preference_states(
                organisation=self.organisation, items=items or []
            )
        except selectors.InvalidStates as exc:
            raise ValidationError({"preferences": [str(exc)]}) from exc
        except selectors.UnknownPreferences as exc:
            raise DialectError(str(exc), status=404, code="ERROR_PREFERENCE_NOT_FOUND") from exc


class V2ContactCreateView(V2ContactsView):
    @extend_schema(
        operation_id="ApiContact_CreateContact",
        summary="Create or update a contact (by email)",
        tags=[TAG],
        request=V2ApiContactRequestSerializer,
        responses={
            201: V2ContactSerializer,
            200: V2ContactSerializer,
            **V2.error_responses(400, 401, 403),
        },
        examples=[
            OpenApiExample(
                "Request",
                request_only=True,
                value={
                    "email": "john.smith@emailsim.io",
                    "optInType": "Single",
                    "emailType": "Html",
                    "dataFields": [{"key": "FIRSTNAME", "value": "John"}],
                },
            ),
            OpenApiExample("Contact", value=CONTACT_EXAMPLE, response_only=True),
        ],
        description="201 when the contact is new, 200 when an existing one was updated.",
    )
    def post(self, request):
        body = V2ApiContactRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        customer, created = self.save(body.validated_data)
        return Response(v2_contacts([customer])[0], status=201 if created else 200)


class V2ContactDetailView(V2ContactsView):
    @extend_schema(
        operation_id="ApiContact_GetContact",
        summary="Get a contact by id or email address",
        description="The contact with this id, or this email address (any case).",
        tags=[TAG],
        parameters=[CONTACT_PARAM],
        responses={200: V2ContactSerializer, **V2.error_responses(401, 404)},
        examples=[OpenApiExample("Contact", value=CONTACT_EXAMPLE, response_only=True)],
    )
    def get(self, request, contactIdentifier):
        return Response(v2_contacts([self.contact(contactIdentifier)])[0])


class V2ContactWithConsentView(V2ContactsView):
    @extend_schema(
        operation_id="ApiContact_GetContactWithConsent",
        summary="Get a contact by id or email address with consent records",
        description=(
            "consentFields: newest first, one record per change that opted the contact in or "
            "carried a consent record; values the client did not give are the ledger's own "
            "(time of the change, address and user agent of the request)."
        ),
        tags=[TAG],
        parameters=[CONTACT_PARAM],
        responses={200: V2ContactWithConsentSerializer, **V2.error_responses(401, 404)},
        examples=[
            OpenApiExample(
                "Contact with consent",
                value={"contact": CONTACT_EXAMPLE, "consentFields": [CONSENT_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request, contactIdentifier):
        customer = self.contact(contactIdentifier)
        proof = customer_selectors.consent_proof(customer=customer)
        return Response(
            {
                "contact": v2_contacts([customer])[0],
                "consentFields": [render_consent(record) for record in proof],
            }
        )


WITH_CONSENT_AND_PREFERENCES_EXAMPLE = {
    "contact": {"email": "john.smith@emailsim.io", "optInType": "Single"},
    "consentFields": [CONSENT_EXAMPLE],
    "preferences": PREFERENCES_EXAMPLE,
}


class _WithConsentAndPreferencesView(V2ContactsView):
    def write(self, request, *, existing: Customer | None = None):
        body = V2ContactWithConsentAndPreferencesRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        contact = data["contact"]
        if existing is not None and normalise_email(contact["email"]) != existing.email_key:
            raise ValidationError({"contact.email": ["Differs from the contact's email."]})
        consent = [record["fields"] for record in data.get("consentFields") or []]
        customer, created = self.save(
            contact, consent=consent, states=self.states(data.get("preferences"))
        )
        answer = {
            "contact": v2_contacts([customer])[0],
            "consentFields": [render_consent(record) for record in consent],
            "preferences": data.get("preferences") or [],
        }
        return Response(answer, status=201 if created else 200)


class V2ContactWithConsentAndPreferencesCreateView(_WithConsentAndPreferencesView):
    @extend_schema(
        operation_id="ApiContact_CreateContactWithConsentAndPreferences",
        summary="Create or update a contact with consent and preference records",
        description=(
            "All or nothing: the contact (by email), its consent records (kept with the "
            "change's ledger events) and its preference opt-ins. 201 for a new contact."
        ),
        tags=[TAG],
        request=V2ContactWithConsentAndPreferencesRequestSerializer,
        responses={
            201: V2ContactWithConsentAndPreferencesSerializer,
            200: V2ContactWithConsentAndPreferencesSerializer,
            **V2.error_responses(400, 401, 403, 404),
        },
        examples=[
            OpenApiExample(
                "Request", value=WITH_CONSENT_AND_PREFERENCES_EXAMPLE, request_only=True
            ),
            OpenApiExample(
                "Answer",
                value={**WITH_CONSENT_AND_PREFERENCES_EXAMPLE, "contact": CONTACT_EXAMPLE},
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        return self.write(request)


class V2ContactWithConsentAndPreferencesUpdateView(_WithConsentAndPreferencesView):
    @extend_schema(
        operation_id="ApiContact_UpdateContactWithConsentAndPreferences",
        summary="Update a contact with consent and preference records",
        description="All or nothing; the body's contact email must be the contact's own.",
        tags=[TAG],
        parameters=[CONTACT_PARAM],
        request=V2ContactWithConsentAndPreferencesRequestSerializer,
        responses={
            200: V2ContactWithConsentAndPreferencesSerializer,
            **V2.error_responses(400, 401, 403, 404),
        },
        examples=[
            OpenApiExample(
                "Request", value=WITH_CONSENT_AND_PREFERENCES_EXAMPLE, request_only=True
            ),
        ],
    )
    def put(self, request, contactIdentifier):
        return self.write(request, existing=self.contact(contactIdentifier))
