"""Subscription and suppression routes of the v2 dialect (seed 002), field names as the seed's."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from customers.api.base import OrganisationScopedView
from customers.api.dialects import V2, DialectError
from customers.api.fields import EmailAddressField, StrictQuerySerializer, StrictSerializer
from customers.api.renderers import FastJSONRenderer
from customers.api.v2_contact import (
    V2ContactSerializer,
    parse_since,
    v2_contact,
    v2_contacts,
    v2_time,
)
from customers.models import Customer
from customers.normalisation import InvalidEmail, clean_email
from preferences.api.v2 import V2MarketingPreferenceOptInSerializer, v2_opt_in

from .. import selectors, services
from ..models import Suppression

MAX_SUPPRESS_ITEMS = 10_000
# The schema's pattern for return URLs, which the server applies as it is.
RETURN_URL_PATTERN = r"^([Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9._~%!$&'()*+,;=:@-]+([/?#][!-~]*)?)?$"
MAX_ID = 2**63 - 1
PREFERRED_LOCALES = [
    "cs-CS", "da-DA", "de-DE", "el-EL", "en-EN", "es-ES", "es", "fi-FI", "fr-FR", "hu-HU",
    "it-IT", "nl-NL", "nb-NO", "pl-PL", "pt-PT", "ru-RU", "se-SE", "sk-SK", "tr-TR", "zh-CN",
]  # fmt: skip


def address_contact(email: str | None, status: str) -> dict:
    """The `contact` object of an address with no contact record: id 0."""
    return v2_contact(Customer(id=0, email=email), status)


def suppressed_contact(entry, customer, contact=None) -> dict:
    """An entry (a Suppression or selectors.SuppressedRow) with its customer (a Customer or
    selectors.ContactRow), if any."""
    if contact is None:
        contact = (
            v2_contact(customer, entry.reason)
            if customer
            else address_contact(entry.email, entry.reason)
        )
    return {
        "suppressedContact": contact,
        "dateRemoved": v2_time(entry.date_removed),
        "reason": entry.reason,
    }


# Serializers -------------------------------------------------------------------------------------
class V2SuppressedContactSerializer(serializers.Serializer):
    suppressedContact = V2ContactSerializer
    dateRemoved = serializers.CharField()
    reason = serializers.ChoiceField(choices=Suppression.Reason.choices)


class V2UnsubscribeRequestSerializer(StrictSerializer):
    email = EmailAddressField()


class V2ContactRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, allow_null=True)
    email = EmailAddressField(required=False, allow_null=True)


# What _parse_contact_refs accepts: up to 10,000 items, each a contact id or an email address.
SUPPRESS_CONTACTS_REQUEST_SCHEMA = {
    "type": "array",
    "maxItems": MAX_SUPPRESS_ITEMS,
    "items": {
        "oneOf": [
            {
                "type": "object",
                "description": "By contact id",
                "properties": {
                    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "email": {"nullable": True, "enum": [None]},
                },
                "required": ["id"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "description": "By email address (an id of 0 or null is ignored)",
                "properties": {
                    "email": {"type": "string", "format": "email", "maxLength": 254},
                    "id": {"type": "integer", "nullable": True, "enum": [0, None]},
                },
                "required": ["email"],
                "additionalProperties": False,
            },
        ]
    },
}


class V2SuppressContactsResultSerializer(serializers.Serializer):
    suppressed = V2ContactRefSerializer(many=True)
    notFound = V2ContactRefSerializer(many=True)


class V2DataFieldSerializer(StrictSerializer):
    key = serializers.CharField(max_length=100)
    value = serializers.CharField(max_length=2000, allow_blank=True)


class V2UnsubscribedContactSerializer(StrictSerializer):
    email = EmailAddressField()
    dataFields = V2DataFieldSerializer(many=True, required=False, max_length=200)


class V2ResubscribeNoChallengeRequestSerializer(StrictSerializer):
    unsubscribedContact = V2UnsubscribedContactSerializer()


class V2ResubscribeRequestSerializer(V2ResubscribeNoChallengeRequestSerializer):
    preferredLocale = serializers.ChoiceField(choices=PREFERRED_LOCALES, required=False)
    # Only http(s), absolute, without spaces or control characters: the browser is sent there
    # after confirming, and any other scheme (javascript:, data:, …) would be an open door.
    returnUrlToUseIfChallenged = serializers.RegexField(
        RETURN_URL_PATTERN,
        max_length=2000,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        error_messages={"invalid": "Must be an absolute http or https URL without spaces."},
    )


class V2ResubscribeResultSerializer(serializers.Serializer):
    contact = V2ContactSerializer
    status = serializers.ChoiceField(choices=["ContactAdded", "ContactChallenged"])


class V2SinceQuerySerializer(StrictQuerySerializer):
    select = serializers.IntegerField(min_value=1, max_value=1000, default=1000)
    skip = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)


class V2ContactSubscriptionsSerializer(serializers.Serializer):
    contact = V2ContactSerializer
    marketingPreferenceOptIns = V2MarketingPreferenceOptInSerializer(many=True)


def _data_fields(validated) -> dict:
    return {item["key"]: item["value"] for item in validated.get("dataFields") or []}


_REF_KEYS = {"id", "email"}


def _parse_contact_refs(data) -> list[services.ContactRef]:
    """The suppress-contacts body, checked by hand: 10,000 DRF child serializers are too slow."""
    if not isinstance(data, list):
        raise ValidationError("The body must be a JSON array of {id} or {email} items.")
    if len(data) > MAX_SUPPRESS_ITEMS:
        raise ValidationError(f"At most {MAX_SUPPRESS_ITEMS} items per request.")
    refs = []
    for index, item in enumerate(data):
        if isinstance(item, dict) and item.keys() <= _REF_KEYS:
            # The usual spelling: plain dict reads (no case-insensitive key lookups).
            contact_id, email = dict.get(item, "id"), dict.get(item, "email")
        elif isinstance(item, dict) and not {str(key).casefold() for key in item} - _REF_KEYS:
            contact_id, email = item.get("id"), item.get("email")
        else:
            raise ValidationError({f"[{index}]": ["Each item is an object with id or email."]})
        if type(contact_id) is int and contact_id == 0:
            contact_id = None  # {"id": 0, "email": …} is the answer's own shape: read as email
        if contact_id is not None and (
            not isinstance(contact_id, int) or isinstance(contact_id, bool)
        ):
            raise ValidationError({f"[{index}].id": ["A valid integer is required."]})
        if contact_id is not None and not 0 < contact_id <= MAX_ID:
            raise ValidationError({f"[{index}].id": ["Must be a positive contact id."]})
        if email is not None:
            try:
                email = clean_email(email)
            except InvalidEmail as exc:
                raise ValidationError({f"[{index}].email": [str(exc)]}) from None
        if (contact_id is None) == (email is None):
            raise ValidationError({f"[{index}]": ["Give either id or email."]})
        refs.append(services.ContactRef(id=contact_id, email=email))
    return refs


# Views -----------------------------------------------------------------------------------------
UNSUBSCRIBED_EXAMPLE = {
    "suppressedContact": {
        "id": 123,
        "email": "john.smith@emailsim.io",
        "optInType": "Single",
        "emailType": "Html",
        "dataFields": None,
        "status": "Unsubscribed",
    },
    "dateRemoved": "2020-01-01T09:40:18.527Z",
    "reason": "Unsubscribed",
}


class UnsubscribeView(OrganisationScopedView):
    dialect = V2

    @extend_schema(
        operation_id="v2_contacts_unsubscribe",
        description=(
            "Suppress an address with reason Unsubscribed; an unknown address is suppressed too "
            "(suppressedContact.id 0)."
        ),
        request=V2UnsubscribeRequestSerializer,
        responses={200: V2SuppressedContactSerializer, **V2.error_responses(400, 401, 403)},
        examples=[
            OpenApiExample("Request", value={"email": "john.smith@emailsim.io"}, request_only=True),
            OpenApiExample("Unsubscribed", value=UNSUBSCRIBED_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request):
        body = V2UnsubscribeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry, customer = services.address_unsubscribe(
            organisation=self.organisation,
            email=body.validated_data["email"],
            provenance=self.provenance(),
        )
        # One status lookup for a known contact; an unknown address shows the entry's reason.
        contact = v2_contacts([customer])[0] if customer else None
        return Response(suppressed_contact(entry, customer, contact))


class SuppressContactsView(OrganisationScopedView):
    dialect = V2

    @extend_schema(
        operation_id="v2_contacts_suppress",
        description=(
            "Suppress up to 10,000 contacts given by id or email (reason Suppressed). "
            "Unknown contacts are reported in notFound and not suppressed."
        ),
        request={"application/json": SUPPRESS_CONTACTS_REQUEST_SCHEMA},
        responses={200: V2SuppressContactsResultSerializer, **V2.error_responses(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Request",
                value=[{"id": 123}, {"email": "bob.smith@emailsim.co"}],
                request_only=True,
            )
        ],
    )
    def put(self, request):
        refs = _parse_contact_refs(request.data)
        suppressed, not_found = services.contacts_suppress(
            organisation=self.organisation, refs=refs, provenance=self.provenance()
        )
        return Response(
            {
                "suppressed": [{"id": ref.id or 0, "email": ref.email} for ref in suppressed],
                "notFound": [{"id": ref.id or 0, "email": ref.email} for ref in not_found],
            }
        )


class ResubscribeView(OrganisationScopedView):
    dialect = V2

    @extend_schema(
        operation_id="v2_contacts_resubscribe",
        description=(
            "Send a suppressed contact a localised email with a confirmation link; the contact "
            "stays suppressed until it is confirmed (ContactChallenged). A contact that is not "
            "suppressed answers ContactAdded and gets no email."
        ),
        request=V2ResubscribeRequestSerializer,
        responses={200: V2ResubscribeResultSerializer, **V2.error_responses(400, 401, 403, 404)},
    )
    def post(self, request):
        body = V2ResubscribeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        customer, challenged = services.contact_resubscribe_request(
            organisation=self.organisation,
            email=data["unsubscribedContact"]["email"],
            data_fields=_data_fields(data["unsubscribedContact"]),
            locale=data.get("preferredLocale"),
            return_url=data.get("returnUrlToUseIfChallenged", ""),
            provenance=self.provenance(),
        )
        return Response(
            {
                "contact": v2_contacts([customer])[0],
                "status": "ContactChallenged" if challenged else "ContactAdded",
            }
        )


class ResubscribeWithNoChallengeView(OrganisationScopedView):
    dialect = V2

    @extend_schema(
        operation_id="v2_contacts_resubscribe_with_no_challenge",
        description=(
            "Resubscribe at once and apply dataFields (ContactAdded). A hard-bounced or "
            "complained address is refused with 400: it needs a confirmed challenge."
        ),
        request=V2ResubscribeNoChallengeRequestSerializer,
        responses={200: V2ResubscribeResultSerializer, **V2.error_responses(400, 401, 403, 404)},
    )
    def post(self, request):
        body = V2ResubscribeNoChallengeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        contact = body.validated_data["unsubscribedContact"]
        try:
            customer = services.contact_resubscribe_without_challenge(
                organisation=self.organisation,
                email=contact["email"],
                data_fields=_data_fields(contact),
                provenance=self.provenance(),
            )
        except services.ResubscribeRefused as exc:
            raise DialectError(str(exc), status=400, code="CHALLENGE_REQUIRED") from exc
        return Response({"contact": v2_contacts([customer])[0], "status": "ContactAdded"})


class _SinceView(OrganisationScopedView):
    dialect = V2
    # Pages of up to 1,000 rows whose only floats are data fields read as JsonFloat.
    renderer_classes = [FastJSONRenderer]
    unsubscribed_only = False

    def get(self, request, date):
        since = parse_since(date)
        query = V2SinceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        entries = selectors.suppressions_since(
            organisation=self.organisation,
            since=since,
            unsubscribed_only=self.unsubscribed_only,
            skip=query.validated_data["skip"],
            select=query.validated_data["select"],
        )
        customers = selectors.contacts_by_email_key(
            organisation=self.organisation, email_keys=[entry.email for entry in entries]
        )
        return Response(
            [suppressed_contact(entry, customers.get(entry.email)) for entry in entries]
        )


_SINCE_PARAMETERS = [
    OpenApiParameter(
        "date",
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        description="ISO 8601 date (00:00 UTC) or date-time (naive means UTC); inclusive.",
    ),
    V2SinceQuerySerializer,
]


class SuppressedSinceView(_SinceView):
    @extend_schema(
        operation_id="v2_contacts_suppressed_since",
        description="Suppressed addresses (every reason) since a date, by time then id.",
        parameters=_SINCE_PARAMETERS,
        responses={
            200: V2SuppressedContactSerializer(many=True),
            **V2.error_responses(400, 401),
        },
    )
    def get(self, request, date):
        return super().get(request, date)


class UnsubscribedSinceView(_SinceView):
    unsubscribed_only = True

    @extend_schema(
        operation_id="v2_contacts_unsubscribed_since",
        description="Addresses unsubscribed (reason Unsubscribed) since a date, by time then id.",
        parameters=_SINCE_PARAMETERS,
        responses={
            200: V2SuppressedContactSerializer(many=True),
            **V2.error_responses(400, 401),
        },
    )
    def get(self, request, date):
        return super().get(request, date)


class ContactSubscriptionsView(OrganisationScopedView):
    dialect = V2

    @extend_schema(
        operation_id="v2_contact_subscriptions",
        description="The contact (with its subscription status) and its preference opt-ins.",
        responses={200: V2ContactSubscriptionsSerializer, **V2.error_responses(401, 404)},
    )
    def get(self, request, email):
        customer = selectors.contact_by_email_or_404(organisation=self.organisation, email=email)
        opt_ins = selectors.marketing_preference_opt_ins(customer=customer)
        return Response(
            {
                "contact": v2_contacts([customer])[0],
                "marketingPreferenceOptIns": [v2_opt_in(opt_in) for opt_in in opt_ins],
            }
        )
