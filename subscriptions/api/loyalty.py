"""The loyalty dialect's marketing-subscription route (seed 001)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from customers.api.base import OrganisationScopedView
from customers.api.dialects import LOYALTY, DialectError
from customers.models import Customer
from customers.tenancy import get_in_organisation_or_404

from .. import services
from ..models import ChannelSubscription

CHANNELS = ("email", "sms")
PREFERENCES = (ChannelSubscription.Status.OPT_IN, ChannelSubscription.Status.OPT_OUT)
UPDATED = "Marketing subscription status updated."


def invalid(message: str) -> DialectError:
    return DialectError(message, status=400, code="INVALID_REQUEST")


def parse_statuses(body) -> dict[str, str]:
    """The body as {channel: "OPT_IN"|"OPT_OUT"}, or the seed's 400 message.

    When several errors apply, the first in the seed's order wins. A channel given as null, or
    as an object without "preference" (or with a null one), is "not sent".
    """
    if not isinstance(body, dict):
        body = {}
    for key in body:
        if key not in CHANNELS:
            raise invalid(f"Invalid communication channel present in the request: {key}.")
    given = {channel: body[channel] for channel in CHANNELS if channel in body}
    if not given:
        raise invalid("Either Email or SMS Preference is required.")
    statuses = {}
    for channel, part in given.items():
        preference = part.get("preference") if isinstance(part, dict) else None
        if preference is None:
            raise invalid(f"Preference for {channel} is not sent in the request.")
        # Case-sensitive: "opt_in" is not OPT_IN.
        if not isinstance(preference, str) or preference not in PREFERENCES:
            raise invalid(f"Invalid preference option sent for {channel}.")
        statuses[channel] = preference
    return statuses


def _channel(description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "properties": {"preference": {"type": "string", "enum": list(PREFERENCES)}},
        "required": ["preference"],
    }


# What parse_statuses accepts: email, sms or both, each with a preference; no other keys.
LOYALTY_REQUEST_SCHEMA = {
    "type": "object",
    "properties": {
        "email": _channel("The LOYALTY email programme"),
        "sms": _channel("The default SMS shortcode programme"),
    },
    "additionalProperties": False,
    "minProperties": 1,
}


class LoyaltyMessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class MarketingSubscriptionView(OrganisationScopedView):
    dialect = LOYALTY

    @extend_schema(
        operation_id="loyalty_marketing_subscription_update",
        description=(
            "Set the member's email (LOYALTY programme) and/or SMS (default shortcode) "
            "subscription. All or nothing. Programme-level: does not change the v2 suppression "
            "status."
        ),
        request={"application/json": LOYALTY_REQUEST_SCHEMA},
        responses={200: LoyaltyMessageSerializer, **LOYALTY.error_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "Request",
                value={"email": {"preference": "OPT_IN"}, "sms": {"preference": "OPT_OUT"}},
                request_only=True,
            ),
            OpenApiExample("Result", value={"message": UPDATED}, response_only=True),
        ],
    )
    def put(self, request, correlation_id):
        statuses = parse_statuses(request.data)
        # Erased customers have no correlation id left, so they are not found either.
        customer = get_in_organisation_or_404(
            Customer.objects.live(),
            self.organisation,
            correlation_id=correlation_id,
        )
        if "email" in statuses and not customer.email:
            raise invalid("Account does not have an email for email communication.")
        if "sms" in statuses and not customer.phone:
            raise invalid("Account does not have a phone number for sms communication.")
        services.channel_subscriptions_set(
            customer=customer, statuses=statuses, provenance=self.provenance()
        )
        return Response({"message": UPDATED})
