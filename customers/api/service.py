"""The service's own API under /consent/v1/ (DESIGN §5): customers and their consent history."""

from datetime import UTC, datetime

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from .. import exporting, links, selectors, services
from ..models import ConsentEvent, Customer
from .base import OrganisationScopedView
from .dialects import SERVICE
from .fields import JsonObjectField, JsonValueField


class ServiceCustomerSerializer(serializers.ModelSerializer):
    data_fields = JsonObjectField(help_text="The customer's data fields: any JSON values by name")
    id = serializers.UUIDField(source="uuid", read_only=True)
    contact_id = serializers.IntegerField(source="pk", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "contact_id",
            "email",
            "phone",
            "correlation_id",
            "first_name",
            "last_name",
            "locale",
            "data_fields",
            "email_type",
            "opt_in_type",
            "created_at",
            "updated_at",
        ]


class ServiceConsentEventSerializer(serializers.ModelSerializer):
    old_value = JsonValueField(allow_null=True)
    new_value = JsonValueField(allow_null=True)

    class Meta:
        model = ConsentEvent
        fields = [
            "id",
            "occurred_at",
            "kind",
            "target",
            "old_value",
            "new_value",
            "source",
            "source_detail",
            "actor",
            "request_id",
        ]


class ServiceConsentHistoryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ServiceConsentEventSerializer(many=True)


class ServiceMailHeadersSerializer(serializers.Serializer):
    """The RFC 2369 / RFC 8058 header values, keyed by header name (hyphens and all)."""

    def get_fields(self):
        return {
            "List-Unsubscribe": serializers.CharField(
                help_text="`<unsubscribeUrl>`: put it on the mail as is."
            ),
            "List-Unsubscribe-Post": serializers.CharField(
                help_text="Always `List-Unsubscribe=One-Click` (RFC 8058)."
            ),
        }


class ServiceCustomerLinksSerializer(serializers.Serializer):
    preferenceCentreUrl = serializers.URLField(
        help_text="The customer's preference centre (the link works for at least 30 days)."
    )
    unsubscribeUrl = serializers.URLField(
        help_text="The unsubscribe page; also takes RFC 8058 one-click POSTs (at least a year)."
    )
    headers = ServiceMailHeadersSerializer()


_LINKS_EXAMPLE_URL = "https://consent.example.com/pages/unsubscribe/eJyrVspXsjLXUUpWslIKLs1LzU"


class ConsentHistoryPagination(CursorPagination):
    # Keyset paging over consentevent_customer_idx: constant cost on any page.
    ordering = ("-occurred_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        """The cursor, or a 400 when it was not one of ours (its position must be a time)."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from exc
        if cursor is not None and cursor.position is not None:
            try:
                datetime.fromisoformat(cursor.position).astimezone(UTC)
            except (TypeError, ValueError, OverflowError) as exc:
                raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from exc
        return cursor


class CustomerDetailView(OrganisationScopedView):
    dialect = SERVICE

    @extend_schema(
        operation_id="service_customer_get",
        description="The customer with this UUID in the caller's organisation.",
        responses={200: ServiceCustomerSerializer, **SERVICE.error_responses(401, 404)},
    )
    def get(self, request, customer_uuid):
        customer = selectors.customer_by_uuid_or_404(
            organisation=self.organisation, customer_uuid=customer_uuid
        )
        return Response(ServiceCustomerSerializer(customer).data)

    @extend_schema(
        operation_id="service_customer_erase",
        description="Erase the customer's personal data; the consent history stays, anonymous.",
        responses={204: None, **SERVICE.error_responses(401, 403, 404)},
    )
    def delete(self, request, customer_uuid):
        customer = selectors.customer_by_uuid_or_404(
            organisation=self.organisation, customer_uuid=customer_uuid
        )
        try:
            services.customer_erase(customer=customer, provenance=self.provenance())
        except services.CustomerAlreadyErased as exc:  # erased by a concurrent request
            raise Http404(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomerConsentHistoryView(OrganisationScopedView):
    dialect = SERVICE

    @extend_schema(
        operation_id="service_customer_consent_history",
        description="The customer's consent ledger, newest first, cursor-paginated.",
        responses={
            200: ServiceConsentHistoryPageSerializer,
            **SERVICE.error_responses(401, 404),
        },
    )
    def get(self, request, customer_uuid):
        customer = selectors.customer_by_uuid_or_404(
            organisation=self.organisation, customer_uuid=customer_uuid
        )
        paginator = ConsentHistoryPagination()
        page = paginator.paginate_queryset(selectors.consent_history(customer=customer), request)
        return paginator.get_paginated_response(ServiceConsentEventSerializer(page, many=True).data)


class CustomerLinksView(OrganisationScopedView):
    """The links and headers a sender puts on a marketing email to one customer."""

    dialect = SERVICE

    @extend_schema(
        operation_id="service_customer_links",
        tags=["Service: customers"],
        description=(
            "Signed links to the customer's hosted preference centre and unsubscribe page, on "
            "SITE_URL, and the `List-Unsubscribe` / `List-Unsubscribe-Post` header values for "
            "RFC 8058 one-click unsubscribe. Each call signs fresh tokens; earlier links keep "
            "working until they expire."
        ),
        responses={200: ServiceCustomerLinksSerializer, **SERVICE.error_responses(401, 404)},
        examples=[
            OpenApiExample(
                "Links",
                response_only=True,
                value={
                    "preferenceCentreUrl": (
                        "https://consent.example.com/pages/preferences/eJyrVspXsjLXUUpWslIKLs1LzU"
                    ),
                    "unsubscribeUrl": _LINKS_EXAMPLE_URL,
                    "headers": {
                        "List-Unsubscribe": f"<{_LINKS_EXAMPLE_URL}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    },
                },
            )
        ],
    )
    def get(self, request, customer_uuid):
        customer = selectors.customer_by_uuid_or_404(
            organisation=self.organisation, customer_uuid=customer_uuid
        )
        return Response(ServiceCustomerLinksSerializer(links.customer_links(customer)).data)


class ServiceCustomerExportSerializer(serializers.Serializer):
    """Everything held on one customer. Sections are filled by the apps that hold the data."""

    profile = serializers.DictField(help_text="The customer record")
    emailLogs = serializers.ListField(child=serializers.DictField())
    preferenceStates = serializers.ListField(child=serializers.DictField())
    suppression = serializers.DictField(
        allow_null=True, help_text="The suppression entry of the customer's address"
    )
    channelSubscriptions = serializers.ListField(child=serializers.DictField())
    resubscribeChallenges = serializers.ListField(
        child=serializers.DictField(), help_text="Pending, confirmed and expired"
    )
    optOutStatuses = serializers.ListField(child=serializers.DictField())
    ledger = serializers.ListField(
        child=serializers.DictField(), help_text="Every consent event, oldest first"
    )


EXPORT_EXAMPLE = {
    "profile": {
        "id": "9b2f7c1e-3d4a-4e5f-8a6b-7c8d9e0f1a2b",
        "contactId": 42,
        "email": "ada@example.org",
        "phone": "+447911123456",
        "correlationId": "crm-7",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "locale": "en-GB",
        "dataFields": {},
        "emailType": "Html",
        "optInType": "Unknown",
        "createdAt": "2026-01-01T09:00:00Z",
        "updatedAt": "2026-01-01T09:00:00Z",
        "erasedAt": None,
    },
    "emailLogs": [],
    "preferenceStates": [
        {
            "preference_id": 12,
            "preference__public_name": "Newsletter",
            "opted_in": True,
            "modified_at": "2026-01-02T10:00:00Z",
        }
    ],
    "suppression": None,
    "channelSubscriptions": [],
    "resubscribeChallenges": [],
    "optOutStatuses": [],
    "ledger": [
        {
            "id": 1,
            "occurred_at": "2026-01-02T10:00:00Z",
            "kind": "preference.opt_in",
            "target": "12",
            "old_value": False,
            "new_value": True,
            "source": "api",
            "source_detail": "PUT /customers/customers/<customerId>/marketing-preferences/<id>",
            "actor": "shop",
            "ip_address": "203.0.113.7",
            "user_agent": "curl/8",
            "request_id": "3f9c",
        }
    ],
}


class CustomerExportView(OrganisationScopedView):
    dialect = SERVICE

    @extend_schema(
        operation_id="service_customer_export",
        tags=["Service: customers"],
        description=(
            "Everything held on the customer as one JSON document: profile, preference "
            "states, suppression, channel subscriptions, opt-out statuses, resubscribe "
            "challenges, email logs and the whole consent ledger."
        ),
        responses={
            200: ServiceCustomerExportSerializer,
            **SERVICE.error_responses(401, 404),
        },
        examples=[OpenApiExample("A customer", value=EXPORT_EXAMPLE, response_only=True)],
    )
    def get(self, request, customer_uuid):
        customer = selectors.customer_by_uuid_or_404(
            organisation=self.organisation, customer_uuid=customer_uuid
        )
        return Response(exporting.customer_export(customer))
