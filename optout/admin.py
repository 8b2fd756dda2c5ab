import contextlib
import uuid

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from customers.admin_base import OrganisationScopedAdmin, admin_organisation, admin_provenance
from customers.admin_display import (
    LedgerKindDisplay,
    SummaryRow,
    attach_customer_summary,
    describe_ledger_kind,
)

from . import selectors, services
from .models import CommunicationStatus, CommunicationType, Department, ProcessedMessage

HISTORY_ROWS = 50


@admin.register(Department)
class DepartmentAdmin(OrganisationScopedAdmin):
    list_display = ["name", "uuid", "organisation", "phone_region", "created_at"]
    search_fields = ["name", "=uuid"]
    # The UUID is what callers put in the path: fixed once created.
    readonly_fields = ["uuid", "created_at"]
    list_select_related = ["organisation"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        organisation = obj.organisation if obj.organisation_id else admin_organisation(request)
        department, _ = services.department_create_or_update(
            organisation=organisation, name=obj.name, phone_region=obj.phone_region
        )
        obj.pk, obj.uuid, obj.organisation = department.pk, department.uuid, organisation


class DepartmentFilter(admin.SimpleListFilter):
    """The staff user's organisation's departments (a small table), never another tenant's.

    Not Django's related-only filter: that reads the distinct departments of every status row.
    """

    title = "department"
    parameter_name = "department__id__exact"

    def lookups(self, request, model_admin):
        departments = Department.objects.order_by("name")
        organisation = admin_organisation(request)
        if not request.user.is_superuser:
            departments = departments.for_organisation(organisation)
        return [(str(pk), name) for pk, name in departments.values_list("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(department_id=int(value)) if value.isdecimal() else queryset.none()


@admin.register(CommunicationStatus)
class CommunicationStatusAdmin(OrganisationScopedAdmin):
    organisation_field = "department__organisation"
    list_display = [
        "communication_value",
        "communication_type",
        "ok_to_communicate",
        "department",
        "customer",
        "last_event",
        "update_type",
        "updated_at",
    ]
    list_filter = [
        DepartmentFilter,
        "communication_type",
        "ok_to_communicate",
        "last_event",
    ]
    list_select_related = ["department", "customer"]
    search_fields = ["=communication_value"]
    search_help_text = "Exact email or phone number (any format; read in the department's region)."
    show_full_result_count = False
    raw_id_fields = ["customer"]
    fields = [
        "department",
        "communication_type",
        "communication_value",
        "ok_to_communicate",
        "customer",
        "last_event",
        "update_type",
        "created_at",
        "updated_at",
        "history",
    ]
    readonly_fields = [f for f in fields if f != "ok_to_communicate"]
    actions = ["mark_opted_out", "mark_ok_to_communicate"]

    def has_add_permission(self, request):
        return False  # statuses come from the API and import_optouts

    def has_delete_permission(self, request, obj=None):
        return False  # an opt-out is only ever reversed, never forgotten

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        region = getattr(admin_organisation(request), "phone_region", "US")
        values = {term}
        for kind in CommunicationType.values:
            with contextlib.suppress(services.InvalidCommunicationValue):
                values.add(services.normalise_communication_value(kind, term, region=region))
        return queryset.filter(communication_value__in=values), False

    def save_model(self, request, obj, form, change):
        if "ok_to_communicate" in form.changed_data:
            current = CommunicationStatus.objects.select_related("department").get(pk=obj.pk)
            services.optout_status_set(
                status=current,
                ok_to_communicate=obj.ok_to_communicate,
                provenance=admin_provenance(request, "admin: communication status"),
            )

    @admin.display(description="History (ledger)")
    def history(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        events = list(selectors.status_history(status=obj)[:HISTORY_ROWS])
        if not events:
            return "No changes recorded."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (e.occurred_at, e.old_value, e.new_value, e.source, e.source_detail, e.actor)
                for e in events
            ),
        )
        link = (
            reverse("admin:customers_consentevent_changelist")
            + "?"
            + urlencode({"subject_key": events[0].subject_key})
        )
        return format_html(
            "<table><tr><th>when</th><th>ok to communicate</th><th>source</th><th>detail</th>"
            '<th>actor</th></tr>{}</table><a href="{}">Every ledger event of this address</a>',
            rows,
            link,
        )

    def _set_all(self, request, queryset, ok: bool):
        provenance = admin_provenance(request, "admin: communication status action")
        changed = 0
        for status in queryset.select_related("department"):
            changed += services.optout_status_set(
                status=status, ok_to_communicate=ok, provenance=provenance
            )
        self.message_user(request, f"Changed {changed} status(es).", messages.SUCCESS)

    @admin.action(description="Mark selected as opted out (not ok to communicate)")
    def mark_opted_out(self, request, queryset):
        self._set_all(request, queryset, False)

    @admin.action(description="Mark selected as ok to communicate")
    def mark_ok_to_communicate(self, request, queryset):
        self._set_all(request, queryset, True)


@admin.register(ProcessedMessage)
class ProcessedMessageAdmin(OrganisationScopedAdmin):
    """Received opt-out requests (idempotency log); read-only."""

    list_display = ["message_uuid", "department", "state", "received_at", "applied_at"]
    list_filter = ["state"]
    list_select_related = ["department"]
    search_fields = ["=message_uuid"]
    show_full_result_count = False
    fields = ["message_uuid", "department", "state", "received_at", "applied_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _department_names(organisation_id, targets) -> dict[str, str]:
    """ "<department uuid>:<TYPE>" → "<department name>: <TYPE>"."""
    uuids = {}
    for target in targets:
        department_uuid, _, kind = target.partition(":")
        with contextlib.suppress(ValueError):
            uuids[target] = (uuid.UUID(department_uuid), kind)
    names = dict(
        Department.objects.filter(
            organisation_id=organisation_id, uuid__in=[value for value, _ in uuids.values()]
        ).values_list("uuid", "name")
    )
    return {
        target: f"{names[value]}: {kind}"
        for target, (value, kind) in uuids.items()
        if value in names
    }


def _opt_out_summary(customer) -> list[SummaryRow]:
    """Each department's opt-out status for the customer's email and phone number."""
    statuses = selectors.statuses_of_customer(customer)
    return [
        SummaryRow(
            section="Opt-out status by department",
            item=f"{status.department.name}: {status.communication_type} "
            f"{status.communication_value}",
            state="ok to communicate" if status.ok_to_communicate else "opted out",
            since=status.updated_at,
            ledger=("optout.status", f"{status.department.uuid}:{status.communication_type}"),
            blocks=not status.ok_to_communicate,
        )
        for status in statuses
    ]


describe_ledger_kind(
    "optout.status",
    LedgerKindDisplay(
        "Opt-out status",
        {True: "ok to communicate", False: "opted out"},
        target_names=_department_names,
    ),
)
attach_customer_summary(_opt_out_summary)
