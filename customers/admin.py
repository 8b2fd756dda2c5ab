import contextlib
import json
import uuid

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from . import services
from .admin_base import OrganisationScopedAdmin, admin_organisation, admin_provenance
from .admin_display import (
    customer_summary,
    label_ledger_targets,
    ledger_kind_label,
    ledger_kinds,
    render_ledger_value,
)
from .exporting import customer_export
from .models import ApiToken, ConsentEvent, Customer, Membership, Organisation
from .normalisation import InvalidPhoneNumber, normalise_email, normalise_phone, parse_id


class ReadOnlyAdminMixin:
    """Rows shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_field = "pk"
    list_display = ["slug", "name", "phone_region", "created_at"]
    search_fields = ["slug", "name"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(OrganisationScopedAdmin):
    """API users (and staff) and their role in their organisation."""

    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # Staff change roles; linking users to organisations is for superusers and
        # `create_api_user`, so no staff user can see or take another organisation's users.
        return [] if request.user.is_superuser else ["user", "organisation"]

    def has_add_permission(self, request):
        return request.user.is_superuser


@admin.register(ApiToken)
class ApiTokenAdmin(OrganisationScopedAdmin):
    organisation_field = "user__membership__organisation"
    list_display = ["prefix", "user", "name", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = ["user", "prefix", "created_at", "revoked_at"]
    fields = ["user", "prefix", "name", "created_at", "revoked_at"]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request):
        return False  # keys are issued by `create_api_user --token` and shown once

    @admin.action(description="Revoke selected tokens")
    def revoke_tokens(self, request, queryset):
        revoked = services.api_tokens_revoke(tokens=queryset)
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


def attach_customer_inline(inline) -> None:
    """Show another app's inline on the customer page.

    Apps above this one call it from their admin.py, so customers never imports them.
    """
    if inline not in CustomerAdmin.inlines:
        CustomerAdmin.inlines = [*CustomerAdmin.inlines, inline]


@admin.register(Customer)
class CustomerAdmin(OrganisationScopedAdmin):
    list_display = ["__str__", "uuid", "phone", "correlation_id", "locale", "created_at"]
    list_filter = ["email_type", "opt_in_type", ("erased_at", admin.EmptyFieldListFilter)]
    # Searches are exact matches on indexed identifiers, so they stay instant at millions of rows.
    search_fields = ["email_key"]
    search_help_text = "Exact email, phone number, UUID, contact id or correlation id."
    show_full_result_count = False
    readonly_fields = ["uuid", "created_at", "updated_at", "erased_at"]
    inlines = []
    actions = ["erase_customers", "export_customers"]
    # The customer page shows the newest ledger events and links the rest.
    recent_events_shown = 20

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer = self.get_object(request, object_id)
        if customer is not None:
            events = label_ledger_targets(
                ConsentEvent.objects.filter(customer=customer).order_by("-occurred_at", "-id")[
                    : self.recent_events_shown + 1
                ]
            )
            extra_context = {
                **(extra_context or {}),
                "consent_summary": customer_summary(customer),
                "recent_events": [
                    _event_row(event) for event in events[: self.recent_events_shown]
                ],
                "more_events": len(events) > self.recent_events_shown,
                "ledger_url": reverse("admin:customers_consentevent_changelist")
                + f"?customer__id__exact={customer.pk}",
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(email_key=normalise_email(term)) | Q(correlation_id=term)
        with contextlib.suppress(ValueError):
            match |= Q(uuid=uuid.UUID(term))
        if (pk := parse_id(term)) is not None:
            match |= Q(pk=pk)
        with contextlib.suppress(InvalidPhoneNumber):
            match |= Q(phone=normalise_phone(term, self._phone_region(request)))
        return queryset.filter(match), False

    def _phone_region(self, request):
        membership = getattr(request.user, "membership", None)
        return membership.organisation.phone_region if membership else "US"

    def has_delete_permission(self, request, obj=None):
        return False  # customers are erased (the action below), never deleted

    def save_model(self, request, obj, form, change):
        if not change and not obj.organisation_id:
            obj.organisation = admin_organisation(request)
        services.customer_save(
            customer=obj,
            changed_fields=form.changed_data,
            provenance=admin_provenance(request, "admin: edit customer"),
        )

    @admin.action(description="Erase personal data of selected customers")
    def erase_customers(self, request, queryset):
        customers = queryset.live()
        if request.POST.get("confirm") != "yes":
            # Erasure cannot be undone: show what will happen and ask once more.
            return TemplateResponse(
                request,
                "admin/customers/customer/erase_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.opts,
                    "title": "Erase personal data?",
                    "customers": customers,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        provenance = admin_provenance(request, "admin: erase customers")
        erased = 0
        for customer in customers:
            services.customer_erase(customer=customer, provenance=provenance)
            erased += 1
        self.message_user(request, f"Erased {erased} customer(s).", messages.SUCCESS)

    @admin.action(description="Export everything held on selected customers (JSON)")
    def export_customers(self, request, queryset):
        """A JSON file download: one document per customer (customers.exporting), in a list."""
        documents = [customer_export(customer) for customer in queryset.order_by("pk")]
        response = HttpResponse(
            json.dumps(documents, cls=DjangoJSONEncoder, indent=2),
            content_type="application/json",
        )
        response["Content-Disposition"] = 'attachment; filename="customers-export.json"'
        return response


def _event_row(event):
    return {
        "event": event,
        "what": f"{ledger_kind_label(event.kind)}: {event.target_label}"
        if event.target
        else ledger_kind_label(event.kind),
        "old": render_ledger_value(event.kind, event.old_value),
        "new": render_ledger_value(event.kind, event.new_value),
    }


class LabelledLedgerChangeList(ChangeList):
    """Names instead of raw targets, for the page of events shown (one query per kind)."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = label_ledger_targets(self.result_list)


class CustomerFilter(admin.SimpleListFilter):
    """The ledger of one customer (`?customer=<contact id>`), as linked from the customer page."""

    title = "customer"
    parameter_name = "customer__id__exact"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, f"contact id {value}")] if value and value.isdecimal() else []

    def queryset(self, request, queryset):
        value = self.value()
        if value:
            return queryset.filter(customer_id=int(value)) if value.isdecimal() else queryset.none()
        return queryset


class LedgerKindFilter(admin.SimpleListFilter):
    title = "what changed"
    parameter_name = "kind__exact"

    def lookups(self, request, model_admin):
        return ledger_kinds()

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin):
    list_display = ["occurred_at", "customer", "what", "old", "new", "source", "actor"]
    # No date hierarchy and no filter that reads distinct values: over millions of events those
    # scan the whole ledger on every page load. The kinds come from the registry instead.
    list_filter = ["source", LedgerKindFilter, "occurred_at", CustomerFilter]
    list_select_related = ["customer"]
    search_fields = ["=request_id", "=actor", "=target"]
    show_full_result_count = False
    raw_id_fields = ["customer"]

    def get_changelist(self, request, **kwargs):
        return LabelledLedgerChangeList

    @admin.display(description="what changed")
    def what(self, event):
        label = ledger_kind_label(event.kind)
        target = getattr(event, "target_label", event.target)
        return f"{label}: {target}" if target else label

    @admin.display(description="from")
    def old(self, event):
        return render_ledger_value(event.kind, event.old_value)

    @admin.display(description="to")
    def new(self, event):
        return render_ledger_value(event.kind, event.new_value)
