import contextlib
import uuid

from django.contrib import admin, messages
from django.db.models import Q

from . import services
from .admin_base import OrganisationScopedAdmin, admin_organisation, admin_provenance
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


class ConsentEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ConsentEvent
    fk_name = "customer"
    extra = 0
    fields = ["occurred_at", "kind", "target", "old_value", "new_value", "source", "actor"]
    readonly_fields = fields
    ordering = ["-occurred_at", "-id"]
    show_change_link = True
    verbose_name_plural = "Consent history (ledger)"


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
    inlines = [ConsentEventInline]
    actions = ["erase_customers"]

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
        provenance = admin_provenance(request, "admin: erase customers")
        erased = 0
        for customer in queryset.filter(erased_at__isnull=True):
            services.customer_erase(customer=customer, provenance=provenance)
            erased += 1
        self.message_user(request, f"Erased {erased} customer(s).", messages.SUCCESS)


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin):
    list_display = ["occurred_at", "customer", "kind", "target", "old_value", "new_value", "source"]
    list_filter = ["source", "kind", "occurred_at"]
    list_select_related = ["customer"]
    search_fields = ["=request_id", "=actor", "=target"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    raw_id_fields = ["customer"]
