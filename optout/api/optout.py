"""Communication opt-out status by department, seed 003 (DESIGN §4d)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from customers.api.base import OrganisationScopedView
from customers.api.dialects import OPTOUT
from customers.api.fields import StrictQuerySerializer, StrictSerializer, StrictUUIDField

from .. import selectors, services
from ..models import CommunicationType, Event, UpdateType

MAX_ITEMS = 1000
TYPES = ", ".join(CommunicationType.values)


def _communication_type(value: str) -> str:
    """EMAIL, SMS or PHONE in any case, answered upper-case."""
    upper = value.strip().upper()
    if upper not in CommunicationType.values:
        raise serializers.ValidationError(f"Must be one of {TYPES}, not {value!r}.")
    return upper


class OptOutCommunicationAttributesRequest(StrictSerializer):
    communicationType = serializers.CharField(max_length=16, help_text=f"{TYPES}, any case")
    communicationValue = serializers.CharField(max_length=320)
    okToCommunicate = serializers.BooleanField()
    customerUUID = StrictUUIDField(required=False, allow_null=True)

    def validate_communicationType(self, value):
        return _communication_type(value)

    def validate(self, attrs):
        try:
            attrs["communicationValue"] = services.normalise_communication_value(
                attrs["communicationType"],
                attrs["communicationValue"],
                region=self.context["department"].region,
            )
        except services.InvalidCommunicationValue as exc:
            raise serializers.ValidationError({"communicationValue": [str(exc)]}) from exc
        return attrs


class OptOutStatusRequest(StrictSerializer):
    customerUUID = StrictUUIDField(
        required=False, allow_null=True, help_text="Customer of items that name none"
    )
    messageUUID = StrictUUIDField(
        required=False, allow_null=True, help_text="Makes the request idempotent"
    )
    userUUID = StrictUUIDField(required=False, allow_null=True)
    apiCallSource = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=100
    )
    communicationAttributesList = OptOutCommunicationAttributesRequest(
        many=True, allow_empty=False, max_length=MAX_ITEMS
    )
    event = serializers.ChoiceField(choices=Event.choices)
    updateType = serializers.ChoiceField(choices=UpdateType.choices)
    processSynchronously = serializers.BooleanField(default=True)

    def validate(self, attrs):
        """Resolve customers (one query) and refuse an address listed twice with two states."""
        items = attrs["communicationAttributesList"]
        wanted = {attrs.get("customerUUID")} | {item.get("customerUUID") for item in items}
        wanted.discard(None)
        known = selectors.customer_ids_by_uuid(
            organisation=self.context["department"].organisation, customer_uuids=wanted
        )
        unknown = "No customer with this UUID."
        if attrs.get("customerUUID") and attrs["customerUUID"] not in known:
            raise ValidationError({"customerUUID": [unknown]})
        # Keyed by index, as DRF reports errors of list items: "communicationAttributesList.2…".
        item_errors, seen, status_items = {}, {}, []
        default_customer = known.get(attrs.get("customerUUID"))
        for index, item in enumerate(items):
            customer_uuid = item.get("customerUUID")
            if customer_uuid and customer_uuid not in known:
                item_errors[index] = {"customerUUID": [unknown]}
                continue
            status_item = services.StatusItem(
                communication_type=item["communicationType"],
                communication_value=item["communicationValue"],
                ok_to_communicate=item["okToCommunicate"],
                customer_id=known[customer_uuid] if customer_uuid else default_customer,
            )
            first = seen.get(status_item.key)
            if first is None:
                seen[status_item.key] = status_item
                status_items.append(status_item)
            elif first.ok_to_communicate != status_item.ok_to_communicate:
                item_errors[index] = {
                    "communicationValue": ["Listed twice with different okToCommunicate."]
                }
        if item_errors:
            raise ValidationError({"communicationAttributesList": item_errors})
        attrs["items"] = status_items
        return attrs


class OptOutWarning(serializers.Serializer):
    warningCode = serializers.CharField()
    warningDescription = serializers.CharField()


class OptOutResponseError(serializers.Serializer):
    errorCode = serializers.CharField()
    errorDescription = serializers.CharField()
    errorUID = serializers.CharField()


class OptOutStatusResponse(serializers.Serializer):
    errors = OptOutResponseError(many=True)
    warnings = OptOutWarning(many=True)


class OptOutStatusQuery(StrictQuerySerializer):
    communicationValue = serializers.CharField(max_length=320)
    communicationType = serializers.CharField(
        max_length=16, required=False, help_text=f"{TYPES}; default: every type the value fits"
    )

    def validate_communicationType(self, value):
        return _communication_type(value)

    def validate(self, attrs):
        value = attrs["communicationValue"]
        if "communicationType" in attrs:
            types = [attrs["communicationType"]]
        else:
            email = "@" in value
            types = [CommunicationType.EMAIL] if email else [CommunicationType.SMS, "PHONE"]
        try:
            attrs["values_by_type"] = {
                kind: services.normalise_communication_value(
                    kind, value, region=self.context["department"].region
                )
                for kind in types
            }
        except services.InvalidCommunicationValue as exc:
            raise ValidationError({"communicationValue": [str(exc)]}) from exc
        return attrs


class OptOutCommunicationStatus(serializers.Serializer):
    communicationType = serializers.CharField(source="communication_type")
    communicationValue = serializers.CharField(source="communication_value")
    okToCommunicate = serializers.BooleanField(source="ok_to_communicate")
    customerUUID = serializers.UUIDField(source="customer.uuid", allow_null=True)
    lastEvent = serializers.CharField(source="last_event", allow_null=True)
    updateType = serializers.CharField(source="update_type", allow_null=True)
    updatedAt = serializers.DateTimeField(source="updated_at")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Imports and admin edits leave these blank: answered as null, not "".
        data["lastEvent"] = data["lastEvent"] or None
        data["updateType"] = data["updateType"] or None
        return data


class OptOutStatusList(serializers.Serializer):
    communicationStatuses = OptOutCommunicationStatus(many=True)


# The seed's example body with its "string" placeholders filled in.
SEED_EXAMPLE = {
    "customerUUID": "3f1c5a52-8a8e-4c53-9d7e-2f0b7f3d1a10",
    "messageUUID": "0b6f5a8e-1c1d-4f7e-9a3b-6d2c4e5f7a81",
    "userUUID": "a4e2d3c1-5b6a-4978-8c9d-0e1f2a3b4c5d",
    "apiCallSource": "sms-gateway",
    "communicationAttributesList": [
        {
            "communicationType": "SMS",
            "communicationValue": "(202) 555-0143",
            "okToCommunicate": False,
            "customerUUID": "3f1c5a52-8a8e-4c53-9d7e-2f0b7f3d1a10",
        }
    ],
    "event": "STOP_MESSAGE_RECEIVED",
    "updateType": "MESSAGE",
    "processSynchronously": True,
}


class OptOutStatusView(OrganisationScopedView):
    dialect = OPTOUT

    def _department(self, department_uuid):
        return selectors.department_by_uuid_or_404(
            organisation=self.organisation, department_uuid=department_uuid
        )

    @extend_schema(
        operation_id="optout_status_update",
        description=(
            "Record opt-in or opt-out statuses for the department; a replayed messageUUID changes"
            " nothing. With processSynchronously false the request is queued and answered at "
            "once."
        ),
        summary="update opt-out status for a communication context",
        request=OptOutStatusRequest,
        responses={200: OptOutStatusResponse, **OPTOUT.error_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "An SMS STOP",
                value=SEED_EXAMPLE,
                request_only=True,
            ),
        ],
    )
    def post(self, request, department_uuid):
        department = self._department(department_uuid)
        serializer = OptOutStatusRequest(data=request.data, context={"department": department})
        if not serializer.is_valid():
            message_uuid = _replayed_message_uuid(request.data, department)
            if message_uuid is not None:
                # A replay changes nothing whatever its body, so it is not judged either.
                warning = services.duplicate_warning(message_uuid)
                return Response({"errors": [], "warnings": [warning]})
            raise ValidationError(serializer.errors)
        data = serializer.validated_data
        outcome = services.optout_status_update(
            department=department,
            items=data["items"],
            event=data["event"],
            update_type=data["updateType"],
            message_uuid=data.get("messageUUID"),
            process_synchronously=data["processSynchronously"],
            provenance=self.provenance(detail=_detail(request, data)),
        )
        return Response({"errors": [], "warnings": outcome.warnings})

    @extend_schema(
        operation_id="optout_status_get",
        description=(
            "The department's opt-out statuses of one email address or phone number (given in the"
            " query), one per communication type."
        ),
        summary="read back the opt-out status of a communication value (beyond the seed)",
        parameters=[OptOutStatusQuery],
        responses={200: OptOutStatusList, **OPTOUT.error_responses(400, 401, 404)},
    )
    def get(self, request, department_uuid):
        department = self._department(department_uuid)
        query = OptOutStatusQuery(data=request.query_params, context={"department": department})
        query.is_valid(raise_exception=True)
        statuses = selectors.statuses_for_value(
            department=department, values_by_type=query.validated_data["values_by_type"]
        )
        return Response(OptOutStatusList({"communicationStatuses": statuses}).data)


def _replayed_message_uuid(data, department):
    """The body's messageUUID if that message was already received by this department."""
    if not isinstance(data, dict):
        return None
    try:
        message_uuid = StrictUUIDField().to_internal_value(data.get("messageUUID"))
    except (serializers.ValidationError, TypeError, AttributeError):
        return None
    if selectors.message_already_received(department=department, message_uuid=message_uuid):
        return message_uuid
    return None


def _detail(request, data) -> str:
    """The ledger's source detail: the route, plus who the caller says acted and from where."""
    detail = f"{request.method} /communications/department/{{departmentUUID}}/optoutstatus"
    if data.get("userUUID"):
        detail += f" user {data['userUUID']}"
    if data.get("apiCallSource"):
        detail += f" via {data['apiCallSource']}"
    return detail[:200]
