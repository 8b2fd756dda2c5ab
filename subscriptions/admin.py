"""Admin screens of the subscriptions app. Every write goes through subscriptions.services."""

from django.contrib import admin, messages
from django.http import Http404
from django.utils import timezone

from customers.admin import ReadOnlyAdminMixin, attach_customer_inline
from customers.admin_base import (
    OrganisationScopedAdmin,
    ScopedInline,
    admin_organisation,
    admin_provenance,
)
from customers.normalisation import address_key, normalise_email

from . import services
from .models import ChannelSubscription, Suppression


@admin.register(Suppression)
class SuppressionAdmin(OrganisationScopedAdmin):
    list_display = ["address", "reason", "date_removed", "created_at"]
    list_filter = ["reason", "date_removed"]
    date_hierarchy = "date_removed"
    search_fields = ["email"]  # replaced by an exact, hashed lookup below
    search_help_text = "Exact email address (finds erased addresses too, by their hash)."
    show_full_result_count = False
    fields = ["email", "reason", "date_removed"]
    actions = ["resubscribe_with_challenge", "resubscribe_without_challenge"]

    @admin.display(description="address", ordering="email")
    def address(self, obj):
        return obj.email or "(erased: hash only)"

    def get_search_results(self, request, queryset, search_term):
        # Served by suppression_unique_address; matches entries whose address was erased.
        email = normalise_email(search_term)
        if not email:
            return queryset, False
        return queryset.filter(address_key=address_key(email)), False

    def get_readonly_fields(self, request, obj=None):
        # An entry is added or lifted (actions), never edited in place.
        return ["email", "reason", "date_removed"] if obj else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.base_fields["email"].required = True
            form.base_fields["date_removed"].required = False
            form.base_fields["date_removed"].help_text = "Empty: now."
        return form

    def has_delete_permission(self, request, obj=None):
        return False  # lifting a suppression is a resubscribe: use the actions

    def save_model(self, request, obj, form, change):
        organisation = obj.organisation if obj.organisation_id else admin_organisation(request)
        email = normalise_email(obj.email)
        services.suppressions_add(
            organisation=organisation,
            entries=[
                services.AddressToSuppress(
                    email=email,
                    reason=obj.reason,
                    date_removed=obj.date_removed or timezone.now(),
                )
            ],
            provenance=admin_provenance(request, "admin: add suppression"),
        )
        saved = Suppression.objects.get(organisation=organisation, address_key=address_key(email))
        obj.pk, obj.organisation, obj.email = saved.pk, organisation, saved.email
        obj.reason, obj.date_removed = saved.reason, saved.date_removed

    @admin.action(description="Resubscribe with challenge (email a confirmation link)")
    def resubscribe_with_challenge(self, request, queryset):
        provenance = admin_provenance(request, "admin: resubscribe with challenge")
        sent, skipped = 0, 0
        for entry in queryset.exclude(email__isnull=True).select_related("organisation"):
            try:
                _, challenged = services.contact_resubscribe_request(
                    organisation=entry.organisation,
                    email=entry.email,
                    data_fields=None,
                    locale=None,
                    return_url="",
                    provenance=provenance,
                )
            except Http404:
                challenged = False
            sent, skipped = sent + challenged, skipped + (not challenged)
        self.message_user(request, f"Sent {sent} challenge(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"Skipped {skipped}: no contact has the address (or it was erased).",
                messages.WARNING,
            )

    @admin.action(description="Resubscribe without challenge")
    def resubscribe_without_challenge(self, request, queryset):
        lifted, refused = services.suppressions_lift(
            entries=list(queryset),
            provenance=admin_provenance(request, "admin: resubscribe without challenge"),
        )
        self.message_user(request, f"Resubscribed {lifted} address(es).", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"Refused {refused}: hard-bounced or complained addresses need a confirmed "
                "challenge.",
                messages.WARNING,
            )


@admin.register(ChannelSubscription)
class ChannelSubscriptionAdmin(OrganisationScopedAdmin):
    organisation_field = "customer__organisation"
    list_display = ["customer", "channel", "programme", "status", "updated_at"]
    list_filter = ["channel", "programme", "status"]
    list_select_related = ["customer"]
    search_fields = ["customer__email_key"]
    search_help_text = "Exact customer email."
    fields = ["customer", "channel", "programme", "status", "updated_at"]
    readonly_fields = ["customer", "channel", "programme", "updated_at"]

    def get_search_results(self, request, queryset, search_term):
        email = normalise_email(search_term)
        if not email:
            return queryset, False
        return queryset.filter(customer__email_key=email), False

    def has_add_permission(self, request):
        return False  # rows come from the loyalty route (programme per channel)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.channel_subscriptions_set(
            customer=obj.customer,
            statuses={obj.channel: obj.status},
            provenance=admin_provenance(request, "admin: change channel subscription"),
        )


class ChannelSubscriptionInline(ReadOnlyAdminMixin, ScopedInline, admin.TabularInline):
    """Channel subscriptions on the customer page (read-only: change them on their own page)."""

    model = ChannelSubscription
    fk_name = "customer"
    extra = 0
    fields = ["channel", "programme", "status", "updated_at"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "Channel subscriptions (email LOYALTY, SMS default)"


attach_customer_inline(ChannelSubscriptionInline)
