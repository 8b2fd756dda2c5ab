"""The service's own API under /consent/v1/ (DESIGN §5): customers and their consent history."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from .. import selectors, services
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


class ConsentHistoryPagination(CursorPagination):
    # Keyset paging over consentevent_customer_idx: constant cost on any page.
    ordering = ("-occurred_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


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
