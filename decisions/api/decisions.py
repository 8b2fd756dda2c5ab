"""POST and GET /consent/v1/decisions: may we send this, to whom, and if not, why not.

The view parses and checks the question (all or nothing: one bad recipient is a 400 naming its
index), asks decisions.selectors.decisions_for, and renders the answers in request order.
Recipients are checked by hand rather than by a DRF serializer per item: at 10,000 recipients
the serializer machinery would cost more than the whole decision. The serializers below
describe the shapes for the OpenAPI schema.
"""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from customers.api.base import OrganisationScopedView
from customers.api.dialects import SERVICE
from customers.api.renderers import FastJSONRenderer
from customers.links import customer_links
from preferences.selectors import MAX_ID

from .. import selectors
from ..selectors import CHANNELS, MAX_RECIPIENTS, PROGRAMMES, RECIPIENT_FIELDS

TAG = "Service: decisions"
UNKNOWN_DETAIL = "No customer of the organisation matches."


# Schema -----------------------------------------------------------------------------------------
class DecisionRecipientSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False)
    phone = serializers.CharField(required=False, help_text="E.164, or national format")
    customerId = serializers.UUIDField(required=False)
    contactId = serializers.IntegerField(required=False, min_value=1)
    correlationId = serializers.CharField(required=False, max_length=128)


class DecisionRequestSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=CHANNELS)
    preference = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="A preference the recipient must be opted in to.",
    )
    programme = serializers.ChoiceField(
        choices=sorted(PROGRAMMES.values()),
        required=False,
        help_text='email: "LOYALTY", sms: "default"; its OPT_OUT blocks.',
    )
    department = serializers.UUIDField(
        required=False,
        help_text="Whose opt-out statuses count; without it, every department's.",
    )
    links = serializers.BooleanField(
        required=False, default=False, help_text="Unsubscribe links for allowed email recipients."
    )
    recipients = DecisionRecipientSerializer(
        many=True, help_text="1 to 10,000, each with exactly one identifier."
    )


class DecisionReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=selectors.REASON_CODES)
    detail = serializers.CharField()


class DecisionLinksSerializer(serializers.Serializer):
    preferenceCentreUrl = serializers.URLField()
    unsubscribeUrl = serializers.URLField()
    headers = inline_serializer(
        name="DecisionLinkHeaders",
        fields={
            "List-Unsubscribe": serializers.CharField(),
            "List-Unsubscribe-Post": serializers.CharField(),
        },
    )


class DecisionResultSerializer(serializers.Serializer):
    recipient = serializers.DictField(help_text="The recipient as sent.")
    customerId = serializers.UUIDField(allow_null=True)
    allowed = serializers.BooleanField()
    reasons = DecisionReasonSerializer(many=True)
    links = DecisionLinksSerializer(
        required=False, allow_null=True, help_text='With "links": true only.'
    )


class DecisionResultsSerializer(serializers.Serializer):
    results = DecisionResultSerializer(many=True)


_EXAMPLE_CUSTOMER = "9b2f7c1e-3d4a-4e5f-8a6b-7c8d9e0f1a2b"
REQUEST_EXAMPLE = OpenApiExample(
    "Three recipients, topic 12",
    request_only=True,
    value={
        "channel": "email",
        "preference": 12,
        "recipients": [
            {"email": "ada@example.org"},
            {"customerId": _EXAMPLE_CUSTOMER},
            {"email": "nobody@example.org"},
        ],
    },
)
RESPONSE_EXAMPLE = OpenApiExample(
    "Allowed, not opted in, unknown and unsubscribed",
    response_only=True,
    value={
        "results": [
            {
                "recipient": {"email": "ada@example.org"},
                "customerId": "0f1e2d3c-4b5a-4968-8776-655443322110",
                "allowed": True,
                "reasons": [],
            },
            {
                "recipient": {"customerId": _EXAMPLE_CUSTOMER},
                "customerId": _EXAMPLE_CUSTOMER,
                "allowed": False,
                "reasons": [{"code": "NOT_OPTED_IN", "detail": "12"}],
            },
            {
                "recipient": {"email": "nobody@example.org"},
                "customerId": None,
                "allowed": False,
                "reasons": [
                    {
                        "code": "UNKNOWN_RECIPIENT",
                        "detail": "No customer of the organisation matches.",
                    },
                    {"code": "SUPPRESSED", "detail": "Unsubscribed"},
                ],
            },
        ]
    },
)


# Parsing ---------------------------------------------------------------------------------------
class Question:
    """A checked question: the recipients, normalised, and what else was asked."""

    def __init__(self, view, data: dict, recipients: list):
        self.view = view
        organisation = view.organisation
        errors = {}
        channel = data.get("channel")
        if channel not in CHANNELS:
            errors["channel"] = [f"Required: one of {', '.join(CHANNELS)}."]
        preference_id = data.get("preference")
        if preference_id is not None and (
            isinstance(preference_id, bool)
            or not isinstance(preference_id, int)
            or not 0 < preference_id <= MAX_ID
        ):
            errors["preference"] = ["A preference id: a positive integer."]
        programme = data.get("programme")
        if programme is not None and programme not in PROGRAMMES.values():
            errors["programme"] = [f"One of: {', '.join(sorted(PROGRAMMES.values()))}."]
        department_uuid = data.get("department")
        if department_uuid is not None:
            try:
                department_uuid = uuid.UUID(department_uuid)
            except (ValueError, TypeError, AttributeError):
                errors["department"] = ["A department UUID."]
        links = data.get("links", False)
        if not isinstance(links, bool):
            errors["links"] = ["true or false."]
        if errors:
            raise ValidationError(errors)
        try:
            selectors.check_programme(channel=channel, programme=programme)
        except selectors.InvalidDecisionRequest as exc:
            raise ValidationError({"programme": [str(exc).split(": ", 1)[1]]}) from exc

        region = organisation.phone_region or "US"
        try:
            parsed, self.customers = selectors.recipients_and_customers(
                recipients, organisation_id=organisation.pk, region=region
            )
        except selectors.InvalidRecipients as exc:
            raise ValidationError(
                {f"recipients[{index}]": [message] for index, message in exc.errors.items()}
            ) from exc

        # Identifiers of another organisation are unknown: 404, as if they did not exist.
        self.preference = None
        if preference_id is not None:
            try:
                self.preference = selectors.decision_preference_or_404(
                    organisation=organisation, preference_id=preference_id
                )
            except selectors.InvalidDecisionRequest as exc:
                raise ValidationError({"preference": [str(exc).split(": ", 1)[1]]}) from exc
        self.department = None
        if department_uuid is not None:
            self.department = selectors.decision_department_or_404(
                organisation=organisation, department_uuid=department_uuid
            )
        self.channel, self.programme, self.links = channel, programme, links
        self.raw_recipients, self.recipients = recipients, parsed

    def answer(self) -> list[dict]:
        organisation_id = self.view.organisation.pk
        decisions = selectors.decisions_for(
            organisation=organisation_id,
            channel=self.channel,
            recipients=self.recipients,
            preference=self.preference,
            programme=self.programme,
            department=self.department,
            customers=self.customers,
        )
        # Reasons are shared between decisions (decisions_for builds each once, and each tuple of
        # them): so are their answer objects. Nothing changes them after this.
        reason_objects: dict = {}
        rendered_reasons: dict = {}
        links = self.links
        results = []
        append = results.append
        for raw, decision in zip(self.raw_recipients, decisions, strict=True):
            reasons = rendered_reasons.get(decision.reasons)
            if reasons is None:
                reasons = rendered_reasons[decision.reasons] = [
                    reason_objects.setdefault(
                        reason, {"code": reason.code, "detail": reason.detail}
                    )
                    for reason in decision.reasons
                ]
            result = {
                "recipient": raw,
                "customerId": decision.customer_uuid,
                "allowed": not reasons,
                "reasons": reasons,
            }
            if links:
                result["links"] = (
                    customer_links(selectors.link_subject(organisation_id, decision))
                    if not reasons and self.channel == selectors.EMAIL
                    else None
                )
            append(result)
        return results


class DecisionsView(OrganisationScopedView):
    """Reads only, although POST carries the question: read-only API users may ask."""

    dialect = SERVICE
    reads_only = True
    # 10,000 answers: written by orjson (the same bytes; they hold no floats).
    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="service_decisions_ask",
        tags=[TAG],
        summary="May we send this? Up to 10,000 recipients",
        description=(
            "One answer per recipient, in request order, with every reason that blocks "
            "(UNKNOWN_RECIPIENT, NO_ADDRESS, SUPPRESSED, NOT_OPTED_IN, PROGRAMME_OPTED_OUT, "
            "OPTED_OUT); `allowed` only when there is none. An invalid recipient makes the "
            "whole request a 400 naming its index. Read-only users may call it."
        ),
        request=DecisionRequestSerializer,
        responses={200: DecisionResultsSerializer, **SERVICE.error_responses(400, 401, 404)},
        examples=[REQUEST_EXAMPLE, RESPONSE_EXAMPLE],
    )
    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
        unknown = set(data) - set(DecisionRequestSerializer().fields)
        if unknown:
            raise ValidationError({key: ["Unknown field."] for key in sorted(unknown)})
        recipients = data.get("recipients")
        if not isinstance(recipients, list) or not 1 <= len(recipients) <= MAX_RECIPIENTS:
            raise ValidationError(
                {"recipients": [f"Required: a list of 1 to {MAX_RECIPIENTS:,} recipients."]}
            )
        question = Question(self, data, recipients)
        return Response({"results": question.answer()})

    @extend_schema(
        operation_id="service_decisions_ask_one",
        tags=[TAG],
        summary="May we send this? One recipient",
        description="The question of the POST for one recipient, named by exactly one of "
        "email, phone, customerId, contactId or correlationId; answers one result object.",
        parameters=[
            OpenApiParameter("channel", OpenApiTypes.STR, enum=list(CHANNELS), required=True),
            OpenApiParameter("email", OpenApiTypes.EMAIL),
            OpenApiParameter("phone", OpenApiTypes.STR),
            OpenApiParameter("customerId", OpenApiTypes.UUID),
            OpenApiParameter("contactId", OpenApiTypes.INT),
            OpenApiParameter("correlationId", OpenApiTypes.STR),
            OpenApiParameter("preference", OpenApiTypes.INT),
            OpenApiParameter("programme", OpenApiTypes.STR, enum=sorted(PROGRAMMES.values())),
            OpenApiParameter("department", OpenApiTypes.UUID),
            OpenApiParameter("links", OpenApiTypes.BOOL),
        ],
        responses={200: DecisionResultSerializer, **SERVICE.error_responses(400, 401, 404)},
        examples=[
            OpenApiExample(
                "Unsubscribed",
                response_only=True,
                value={
                    "recipient": {"email": "ada@example.org"},
                    "customerId": _EXAMPLE_CUSTOMER,
                    "allowed": False,
                    "reasons": [{"code": "SUPPRESSED", "detail": "Unsubscribed"}],
                },
            )
        ],
    )
    def get(self, request):
        params = request.query_params
        named = [kind for kind in RECIPIENT_FIELDS if kind in params]
        if len(named) != 1:
            raise ValidationError(
                {
                    "recipient": [
                        "Name the recipient with exactly one of: "
                        + ", ".join(RECIPIENT_FIELDS)
                        + "."
                    ]
                }
            )
        kind = named[0]
        value = params[kind]
        if kind == "contactId":
            value = _integer(value)
        data = {"channel": params.get("channel")}
        for name in ("programme", "department"):
            if name in params:
                data[name] = params[name]
        if "preference" in params:
            raw = params["preference"]
            data["preference"] = (
                int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 20 else raw
            )
        if "links" in params:
            data["links"] = {"true": True, "false": False}.get(
                params["links"].lower(), params["links"]
            )
        try:
            question = Question(self, data, [{kind: value}])
        except ValidationError as exc:
            # The one recipient is a query parameter here, not recipients[0].
            if isinstance(exc.detail, dict) and "recipients[0]" in exc.detail:
                exc.detail[kind] = exc.detail.pop("recipients[0]")
            raise
        return Response(question.answer()[0])


def _integer(value: str):
    """A query parameter of digits as an int; anything else as it is (rejected later)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 20 else value
