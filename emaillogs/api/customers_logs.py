"""Seed 004: `GET /customers/{email}/logs?count=&created_lt=&created_gt=`, and `GET /logs/{id}`
(one log, which the Sendwithus clients read with get_log)."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from customers import selectors as customer_selectors
from customers.api.base import OrganisationScopedView
from customers.api.customers_dialect import EMAIL_PATH_PARAMETER, email_from_path, unix_seconds
from customers.api.dialects import CUSTOMERS
from customers.api.fields import StrictQuerySerializer

from .. import selectors

# Unix seconds up to the year 9999: larger values would overflow datetime, so they are a 400.
MAX_UNIX_SECONDS = selectors.MAX_UNIX_SECONDS


class CustomersLogsQuery(StrictQuerySerializer):
    count = serializers.IntegerField(
        min_value=1, max_value=100, default=100, help_text="1..100, default 100"
    )
    created_lt = serializers.IntegerField(
        min_value=0,
        max_value=MAX_UNIX_SECONDS,
        required=False,
        help_text="Unix seconds: only logs sent before it",
    )
    created_gt = serializers.IntegerField(
        min_value=0,
        max_value=MAX_UNIX_SECONDS,
        required=False,
        help_text="Unix seconds: only logs sent after it",
    )


class CustomersLogSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    id = serializers.CharField(source="public_id")
    created = serializers.SerializerMethodField(help_text="Unix seconds")
    recipient_name = serializers.CharField()
    recipient_address = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField()
    email_id = serializers.CharField()
    email_name = serializers.CharField()
    email_version = serializers.CharField()

    def get_object(self, log) -> str:
        return "log"

    def get_created(self, log) -> int:
        return unix_seconds(log.created)


class CustomersLogsResponse(serializers.Serializer):
    success = serializers.BooleanField()
    status = serializers.CharField()
    logs = CustomersLogSerializer(many=True)


class CustomersLogsView(OrganisationScopedView):
    dialect = CUSTOMERS

    @extend_schema(
        operation_id="customers_logs",
        description="The customer's email logs, newest first; bounds are exclusive.",
        parameters=[EMAIL_PATH_PARAMETER, CustomersLogsQuery],
        responses={200: CustomersLogsResponse, **CUSTOMERS.error_responses(400, 401, 404)},
    )
    def get(self, request, email):
        query = CustomersLogsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        customer = customer_selectors.customer_by_email_or_404(
            organisation=self.organisation, email=email_from_path(email)
        )
        logs = selectors.customer_logs(customer=customer, **query.validated_data)
        return Response(
            {
                "success": True,
                "status": "OK",
                "logs": CustomersLogSerializer(logs, many=True).data,
            }
        )


LOG_EXAMPLE = {
    "object": "log",
    "id": "log_asdf1234qwerty",
    "created": 1234567890,
    "recipient_name": "Matt",
    "recipient_address": "matt@example.com",
    "status": "opened",
    "message": "SendGrid: Message has been opened",
    "email_id": "tem_as8dfjha8dap",
    "email_name": "Order Confirmation",
    "email_version": "Version A",
}


class LogDetailView(OrganisationScopedView):
    dialect = CUSTOMERS

    @extend_schema(
        operation_id="log_get",
        tags=["Customers (seed 004)"],
        description=(
            "One email log by its id, in the shape of the items of the customer logs list. "
            "A log of another organisation is a 404."
        ),
        parameters=[OpenApiParameter("log_id", str, OpenApiParameter.PATH, description="log_…")],
        responses={200: CustomersLogSerializer, **CUSTOMERS.error_responses(401, 404)},
        examples=[OpenApiExample("A log", value=LOG_EXAMPLE, response_only=True)],
    )
    def get(self, request, log_id):
        log = selectors.log_by_public_id_or_404(organisation=self.organisation, log_id=log_id)
        return Response(CustomersLogSerializer(log).data)
