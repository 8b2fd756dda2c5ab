"""Customer marketing preferences (seed 000, DESIGN §4a): one customer's opt-in state per
preference of their organisation, with 422 `{"message", "errors"}` for invalid input."""

import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from customers import selectors as customer_selectors
from customers.api.base import OrganisationScopedView
from customers.api.dialects import MARKETING_PREFERENCES
from customers.api.fields import StrictQuerySerializer

from .. import selectors, services

MAX_PAGE = 2**31 - 1


class MarketingPreferencesItemSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The preference id, as a string")
    name = serializers.CharField(help_text="The public name")
    category = serializers.CharField(allow_null=True, help_text="The category's public name")
    opted_in = serializers.BooleanField()
    updated_at = serializers.DateTimeField(
        allow_null=True, help_text="When the state last changed; null when never presented"
    )


class MarketingPreferencesMetaSerializer(serializers.Serializer):
    current_page = serializers.IntegerField()
    per_page = serializers.IntegerField()
    total = serializers.IntegerField()
    last_page = serializers.IntegerField()


class MarketingPreferencesListSerializer(serializers.Serializer):
    data = MarketingPreferencesItemSerializer(many=True)
    meta = MarketingPreferencesMetaSerializer()


class MarketingPreferencesDetailSerializer(serializers.Serializer):
    data = MarketingPreferencesItemSerializer()


class MarketingPreferencesPageQuerySerializer(StrictQuerySerializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)
    per_page = serializers.IntegerField(min_value=1, max_value=100, default=20)


def render_state(state) -> dict:
    preference = state.preference
    category = preference.category
    return {
        "id": str(preference.pk),
        "name": preference.public_name,
        "category": category.public_name if category else None,
        "opted_in": state.opted_in,
        "updated_at": (
            serializers.DateTimeField().to_representation(state.modified_at)
            if state.modified_at
            else None
        ),
    }


CUSTOMER_ID = OpenApiParameter(
    "customerId", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The customer's UUID"
)
PREFERENCE_ID = OpenApiParameter(
    "marketingPreferenceId", str, OpenApiParameter.PATH, description="The preference id"
)


class MarketingPreferencesView(OrganisationScopedView):
    dialect = MARKETING_PREFERENCES

    def customer(self, customer_id):
        # A customerId that is not a UUID is simply not found.
        return customer_selectors.customer_by_uuid_or_404(
            organisation=self.organisation, customer_uuid=customer_id
        )

    def preference(self, preference_id):
        try:
            return selectors.leaf_preference_or_404(
                organisation=self.organisation, preference_id=preference_id
            )
        except selectors.NotAPreference as exc:
            raise ValidationError({"marketingPreferenceId": [str(exc)]}) from exc


class MarketingPreferenceListView(MarketingPreferencesView):
    @extend_schema(
        operation_id="listCustomerMarketingPreferences",
        description=(
            "The customer's opt-in state for every preference of the organisation, page by page "
            "(page, per_page)."
        ),
        summary="List a Customer's Marketing Preferences",
        parameters=[CUSTOMER_ID, MarketingPreferencesPageQuerySerializer],
        responses={
            200: MarketingPreferencesListSerializer,
            **MARKETING_PREFERENCES.error_responses(401, 404, 422),
        },
    )
    def get(self, request, customerId):
        customer = self.customer(customerId)
        query = MarketingPreferencesPageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, per_page = query.validated_data["page"], query.validated_data["per_page"]
        total, states = selectors.marketing_preferences_page(
            organisation=self.organisation, customer=customer, page=page, per_page=per_page
        )
        return Response(
            {
                "data": [render_state(state) for state in states],
                "meta": {
                    "current_page": page,
                    "per_page": per_page,
                    "total": total,
                    "last_page": max(1, math.ceil(total / per_page)),
                },
            }
        )


class MarketingPreferenceDetailView(MarketingPreferencesView):
    def state(self, customer, preference):
        [state] = selectors.marketing_states(customer=customer, preferences=[preference])
        return Response({"data": render_state(state)})

    @extend_schema(
        operation_id="getCustomerMarketingPreference",
        description="The customer's opt-in state for one preference.",
        summary="Get a Customer's Marketing Preference",
        parameters=[CUSTOMER_ID, PREFERENCE_ID],
        responses={
            200: MarketingPreferencesDetailSerializer,
            **MARKETING_PREFERENCES.error_responses(401, 404, 422),
        },
    )
    def get(self, request, customerId, marketingPreferenceId):
        customer = self.customer(customerId)
        return self.state(customer, self.preference(marketingPreferenceId))

    @extend_schema(
        operation_id="actionMarketingPreferenceOptIn",
        description="Opt the customer in to the preference; opting in again changes nothing.",
        summary="Opt a Customer into a Marketing Preference",
        parameters=[CUSTOMER_ID, PREFERENCE_ID],
        request=None,
        responses={
            200: MarketingPreferencesDetailSerializer,
            **MARKETING_PREFERENCES.error_responses(401, 403, 404, 422),
        },
    )
    def put(self, request, customerId, marketingPreferenceId):
        customer = self.customer(customerId)
        preference = self.preference(marketingPreferenceId)
        result = services.preference_opt_ins_set(
            customer=customer, states={preference.pk: True}, provenance=self.provenance()
        )
        # The state as the write left it: no second read.
        opted_in, modified_at = result.states[(customer.pk, preference.pk)]
        state = selectors.MarketingPreferenceState(preference, opted_in, modified_at)
        return Response({"data": render_state(state)})

    @extend_schema(
        operation_id="actionMarketingPreferenceOptOut",
        description="Opt the customer out of the preference; opting out again changes nothing.",
        summary="Opt a Customer out of a Marketing Preference",
        parameters=[CUSTOMER_ID, PREFERENCE_ID],
        request=None,
        responses={
            204: None,
            **MARKETING_PREFERENCES.error_responses(401, 403, 404, 422),
        },
    )
    def delete(self, request, customerId, marketingPreferenceId):
        customer = self.customer(customerId)
        preference = self.preference(marketingPreferenceId)
        services.preference_opt_ins_set(
            customer=customer, states={preference.pk: False}, provenance=self.provenance()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
