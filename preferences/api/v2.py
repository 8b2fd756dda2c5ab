"""The preference operations of the v2 dialect (seed 002, DESIGN §4c).

Field names as the seed spells them (camelCase, `dateModifed`, `isPreference2`); 400/404 as
`{"message", "errorCode"}`.
"""

import re

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from customers.api.base import OrganisationScopedView
from customers.api.dialects import V2, DialectError
from customers.api.fields import StrictQuerySerializer, StrictSerializer
from customers.api.renderers import FastJSONRenderer
from customers.api.v2_contact import V2ContactSerializer, parse_since, v2_contacts, v2_time

from .. import selectors, services
from ..models import Preference

# operation_id: the seed's own operationId, so generated clients keep their method names.
MAX_ID = selectors.MAX_ID
# More items than any organisation has preferences: a bigger body is a mistake, not a request.
MAX_STATES = 10_000


# Requests -------------------------------------------------------------------------------------
@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 0},
            {"type": "string", "description": 'A number, or "top" or "bottom"'},
        ]
    }
)
class V2OrderField(serializers.Field):
    """An integer position from 0, or "top" / "bottom" (numbers in strings too)."""

    default_error_messages = {
        "invalid": 'Use an integer from 0, or "top" or "bottom".',
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            value = data
        elif isinstance(data, str):
            word = data.strip().lower()
            if word in (services.TOP, services.BOTTOM):
                return word
            if not re.fullmatch(r"\d{1,18}", word):
                self.fail("invalid")
            value = int(word)
        else:
            self.fail("invalid")
        if value < 0:
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return str(value)


class V2PreferenceRequestSerializer(StrictSerializer):
    id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    publicName = serializers.CharField(max_length=255)
    privateName = serializers.CharField(max_length=255)
    isPreference = serializers.BooleanField(required=False)
    isPublic = serializers.BooleanField(required=False)
    order = V2OrderField(required=False, allow_null=True)
    categoryId = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_ID
    )
    categoryID = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_ID
    )

    def validate(self, attrs):
        given = [attrs[name] for name in ("categoryId", "categoryID") if name in attrs]
        if len(set(given)) > 1:
            raise ValidationError({"categoryId": ["categoryId and categoryID disagree."]})
        if given:
            attrs["category_id"] = given[0] or None  # 0 means top level
        return attrs


class V2ContactPreferenceStateSerializer(StrictSerializer):
    id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    isPreference = serializers.BooleanField()
    isOptedIn = serializers.BooleanField(required=False)


class V2ContactPreferenceStateTreeSerializer(V2ContactPreferenceStateSerializer):
    # DRF checks a list's max_length before it validates any item.
    preferences = V2ContactPreferenceStateSerializer(
        many=True, required=False, max_length=MAX_STATES
    )


# Responses ------------------------------------------------------------------------------------
class V2PreferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    publicName = serializers.CharField()
    privateName = serializers.CharField()
    isPreference = serializers.BooleanField()
    order = serializers.CharField()
    isPublic = serializers.BooleanField()
    categoryId = serializers.IntegerField()
    preferenceCount = serializers.IntegerField()
    created = serializers.CharField()
    lastModified = serializers.CharField()


class V2PreferenceTreeSerializer(V2PreferenceSerializer):
    preferences = V2PreferenceSerializer(many=True, required=False)


class V2ModifiedPreferenceSerializer(V2PreferenceTreeSerializer):
    isPreference2 = serializers.BooleanField(help_text="The seed's spelling; same as isPreference")


class V2PreferenceWrittenSerializer(V2PreferenceSerializer):
    order = serializers.IntegerField()


class V2ContactPreferenceSerializer(V2PreferenceSerializer):
    isOptedIn = serializers.BooleanField()


class V2ContactPreferenceTreeSerializer(V2PreferenceSerializer):
    isOptedIn = serializers.BooleanField(required=False, help_text="On preferences only")
    preferences = V2ContactPreferenceSerializer(many=True, required=False)


class V2ContactPreferencesSetSerializer(serializers.Serializer):
    value = serializers.CharField()


class V2ContactWithPreferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.CharField(allow_null=True)


def v2_opt_in(opt_in) -> dict:
    """One item of `marketingPreferenceOptIns` (a PreferenceOptIn, or a row with its
    preference_id, opted_in and modified_at)."""
    return {
        "marketingPreferenceId": opt_in.preference_id,
        # We have no address books (DESIGN §4c).
        "addressBookId": 0,
        "isOptedIn": opt_in.opted_in,
        "dateModifed": v2_time(opt_in.modified_at),
    }


class V2MarketingPreferenceOptInSerializer(serializers.Serializer):
    marketingPreferenceId = serializers.IntegerField()
    addressBookId = serializers.IntegerField()
    isOptedIn = serializers.BooleanField()
    dateModifed = serializers.CharField(help_text="The seed's spelling")


class V2ContactOptInsSinceSerializer(serializers.Serializer):
    contact = V2ContactSerializer
    marketingPreferenceOptIns = V2MarketingPreferenceOptInSerializer(many=True)


class V2MinContactQuerySerializer(StrictQuerySerializer):
    minContactID = serializers.IntegerField(min_value=0, max_value=MAX_ID, default=0)


def _count_states(data) -> int:
    """Items of a contact-preferences PUT body, nested ones included (0 if it is no list)."""
    if not isinstance(data, list):
        return 0
    nested = (item.get("preferences") for item in data if isinstance(item, dict))
    return len(data) + sum(len(items) for items in nested if isinstance(items, list))


def render_preference(preference: Preference, *, preference_count=0, order_as_int=False) -> dict:
    return {
        "id": preference.pk,
        "publicName": preference.public_name,
        "privateName": preference.private_name,
        "isPreference": preference.is_preference,
        "order": preference.order if order_as_int else str(preference.order),
        "isPublic": preference.is_public,
        "categoryId": preference.category_id or 0,
        "preferenceCount": preference_count,
        "created": v2_time(preference.created_at),
        "lastModified": v2_time(preference.last_modified),
    }


def render_node(node: selectors.Node, *, modified_since=False) -> dict:
    item = render_preference(node.preference, preference_count=node.preference_count)
    if modified_since:
        item["isPreference2"] = item["isPreference"]
    if node.opted_in is not None:
        item["isOptedIn"] = node.opted_in
    if not node.preference.is_preference:
        item["preferences"] = [render_node(child) for child in node.children]
    return item


# Views ----------------------------------------------------------------------------------------
class V2View(OrganisationScopedView):
    dialect = V2

    def category(self, category_id):
        """The category named in a request body (None for top level); unknown ones are a 400."""
        if category_id is None:
            return None
        try:
            category = selectors.preference_or_404(
                organisation=self.organisation, preference_id=category_id
            )
        except Http404 as exc:
            raise ValidationError({"categoryId": [f"No category {category_id}."]}) from exc
        if category.is_preference:
            raise ValidationError({"categoryId": [f"{category_id} is not a category."]})
        return category

    def leaf_preference(self, preference_id):
        try:
            return selectors.leaf_preference_or_404(
                organisation=self.organisation, preference_id=preference_id
            )
        except selectors.NotAPreference as exc:
            raise ValidationError({"preferenceId": [str(exc)]}) from exc


ID_PARAM = OpenApiParameter("id", str, OpenApiParameter.PATH)
DATE_PARAM = OpenApiParameter(
    "date", str, OpenApiParameter.PATH, description="ISO 8601 date or date-time (inclusive)"
)
CONTACT_PARAM = OpenApiParameter(
    "contactIdentifier", str, OpenApiParameter.PATH, description="Contact id or email address"
)
PREFERENCE_ID_PARAM = OpenApiParameter("preferenceId", int, OpenApiParameter.PATH)


class V2PreferenceListView(V2View):
    @extend_schema(
        operation_id="create-preference",
        description=(
            "Create a preference, or a category when isPreference is false, optionally inside a "
            "category."
        ),
        summary="Create preference",
        request=V2PreferenceRequestSerializer,
        responses={200: V2PreferenceWrittenSerializer, **V2.error_responses(400, 401, 403)},
    )
    def post(self, request):
        body = V2PreferenceRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        is_preference = data.get("isPreference", False)
        try:
            preference = services.preference_create(
                organisation=self.organisation,
                public_name=data["publicName"],
                private_name=data["privateName"],
                is_preference=is_preference,
                is_public=data.get("isPublic", True),
                category=self.category(data.get("category_id")),
                order=data.get("order"),
            )
        except services.PreferenceTreeError as exc:
            raise ValidationError({"categoryId": [str(exc)]}) from exc
        return Response(render_preference(preference, order_as_int=True))

    @extend_schema(
        operation_id="get-preferences",
        description="The organisation's preferences and categories as a tree, in order.",
        summary="Get preferences",
        responses={200: V2PreferenceTreeSerializer(many=True), **V2.error_responses(401)},
    )
    def get(self, request):
        tree = selectors.preference_tree(organisation=self.organisation)
        return Response([render_node(node) for node in tree])


class V2PreferenceDetailView(V2View):
    @extend_schema(
        operation_id="update-preference",
        description="Rename, move or reorder a preference or category.",
        summary="Update preference",
        parameters=[ID_PARAM],
        request=V2PreferenceRequestSerializer,
        responses={200: V2PreferenceWrittenSerializer, **V2.error_responses(400, 401, 403, 404)},
    )
    def put(self, request, id):
        preference = selectors.preference_or_404(organisation=self.organisation, preference_id=id)
        body = V2PreferenceRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if "id" in data and data["id"] != preference.pk:
            raise ValidationError({"id": ["The id in the body differs from the id in the path."]})
        if data.get("isPreference", preference.is_preference) != preference.is_preference:
            raise ValidationError(
                {"isPreference": ["A preference cannot become a category or the other way."]}
            )
        changes = {}
        if "category_id" in data:
            changes["category"] = self.category(data["category_id"])
        try:
            preference = services.preference_update(
                preference=preference,
                public_name=data["publicName"],
                private_name=data["privateName"],
                is_public=data.get("isPublic"),
                order=data.get("order"),
                **changes,
            )
        except services.PreferenceTreeError as exc:
            raise ValidationError({"categoryId": [str(exc)]}) from exc
        count = 0 if preference.is_preference else preference.preferences.count()
        return Response(render_preference(preference, preference_count=count, order_as_int=True))

    @extend_schema(
        operation_id="delete-preference",
        description=(
            "Delete a preference, or a category with its preferences; the opt-ins of the deleted "
            "preferences are recorded on the ledger."
        ),
        summary="Delete preference",
        parameters=[ID_PARAM],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR),
            **V2.error_responses(401, 403, 404),
        },
    )
    def delete(self, request, id):
        preference = selectors.preference_or_404(organisation=self.organisation, preference_id=id)
        services.preference_delete(preference=preference, provenance=self.provenance())
        return HttpResponse(
            "Preference or category (and preferences) were deleted successfully",
            content_type="text/plain; charset=utf-8",
        )


class V2PreferencesModifiedSinceView(V2View):
    @extend_schema(
        operation_id="get-modified-preferences-since-date",
        description="Preferences and categories created or changed at or after the date.",
        summary="Get modified preferences since date",
        parameters=[DATE_PARAM],
        responses={
            200: V2ModifiedPreferenceSerializer(many=True),
            **V2.error_responses(400, 401),
        },
    )
    def get(self, request, date):
        since = parse_since(date)
        tree = selectors.preferences_modified_since(organisation=self.organisation, since=since)
        return Response([render_node(node, modified_since=True) for node in tree])


class V2ContactPreferencesView(V2View):
    def contact(self, identifier):
        return selectors.contact_or_404(organisation=self.organisation, identifier=identifier)

    @extend_schema(
        operation_id="get-preferences-for-contact",
        description=(
            "The organisation's preference tree with the contact's opt-in state on every "
            "preference."
        ),
        summary="Get preferences for contact",
        parameters=[CONTACT_PARAM],
        responses={
            200: V2ContactPreferenceTreeSerializer(many=True),
            **V2.error_responses(401, 404),
        },
    )
    def get(self, request, contactIdentifier):
        tree = selectors.preference_tree_of_contact_identifier(
            organisation=self.organisation, identifier=contactIdentifier
        )
        return Response([render_node(node) for node in tree])

    @extend_schema(
        operation_id="set-preferences-for-contact",
        description=(
            "Opt the contact in or out of the given preferences (categories may carry their "
            "preferences); all or nothing."
        ),
        summary="Set preferences for contact",
        parameters=[CONTACT_PARAM],
        request=V2ContactPreferenceStateTreeSerializer(many=True),
        responses={
            200: V2ContactPreferencesSetSerializer,
            **V2.error_responses(400, 401, 403, 404),
        },
    )
    def put(self, request, contactIdentifier):
        customer = self.contact(contactIdentifier)
        # Counted before any item is validated, so the work is bounded whatever the body.
        if _count_states(request.data) > MAX_STATES:
            raise ValidationError(
                {"non_field_errors": [f"At most {MAX_STATES} items, nested ones included."]}
            )
        body = V2ContactPreferenceStateTreeSerializer(
            data=request.data, many=True, max_length=MAX_STATES
        )
        body.is_valid(raise_exception=True)
        try:
            states = selectors.contact_preference_states(
                organisation=self.organisation, items=body.validated_data
            )
        except selectors.InvalidStates as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        except selectors.UnknownPreferences as exc:
            raise DialectError(str(exc), status=404) from exc
        services.preference_opt_ins_set(
            customer=customer, states=states, provenance=self.provenance()
        )
        return Response({"value": ""})


class V2ContactsWithPreferenceView(V2View):
    # Pages of up to 1,000 rows without plain floats: orjson writes DRF's bytes, 4x faster.
    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="get-contacts-opted-into-a-preference",
        description=(
            "Contacts opted in to the preference, by contact id from minContactID, in pages of up"
            " to 1,000."
        ),
        summary="Get contacts opted into a preference",
        parameters=[PREFERENCE_ID_PARAM, V2MinContactQuerySerializer],
        responses={
            200: V2ContactWithPreferenceSerializer(many=True),
            **V2.error_responses(400, 401, 404),
        },
    )
    def get(self, request, preferenceId):
        preference = self.leaf_preference(preferenceId)
        query = V2MinContactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.contacts_opted_in(
            preference=preference, min_contact_id=query.validated_data["minContactID"]
        )
        return Response([{"id": pk, "email": email} for pk, email in rows])


class V2ContactsOptInsSinceView(V2View):
    # Pages of up to 1,000 rows whose only floats are data fields read as JsonFloat.
    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        operation_id="get-contacts-with-modified-preference-opt-in-since-date",
        description=(
            "Contacts whose opt-in to the preference changed at or after the date, with that opt-"
            "in, by contact id from minContactID."
        ),
        summary="Get contacts with modified preference opt-in since date",
        parameters=[PREFERENCE_ID_PARAM, DATE_PARAM, V2MinContactQuerySerializer],
        responses={
            200: V2ContactOptInsSinceSerializer(many=True),
            **V2.error_responses(400, 401, 404),
        },
    )
    def get(self, request, preferenceId, date):
        preference = self.leaf_preference(preferenceId)
        since = parse_since(date)
        query = V2MinContactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.opt_ins_modified_since(
            preference=preference, since=since, min_contact_id=query.validated_data["minContactID"]
        )
        contacts = v2_contacts(rows)
        return Response(
            [
                {
                    "contact": contact,
                    "marketingPreferenceOptIns": [v2_opt_in(row)],
                }
                for row, contact in zip(rows, contacts, strict=True)
            ]
        )
