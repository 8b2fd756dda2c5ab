"""Admin screens of the subscriptions app. Every write goes through subscriptions.services."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from customers.admin import ReadOnlyAdminMixin, attach_customer_inline
from customers.admin_base import (
    OrganisationScopedAdmin,
    ScopedInline,
    admin_organisation,
    admin_provenance,
    recent_values_filter,
)
from customers.admin_display import (
    LedgerKindDisplay,
    SummaryRow,
    attach_customer_summary,
    describe_ledger_kind,
)
from customers.models import Customer
from customers.normalisation import address_key, normalise_email

from . import services
from .models import ChannelSubscription, ResubscribeChallenge, Suppression


class SuppressionChangeList(ChangeList):
    """Links each entry of the page to its customer, found by address in one query."""

    def get_results(self, request):
        super().get_results(request)
        rows = list(self.result_list)
        by_email = {}
        emails = {normalise_email(row.email) for row in rows if row.email}
        if emails:
            customers = Customer.objects.live().filter(email_key__in=emails)
            by_email = {(c.organisation_id, c.email_key): c for c in customers}
        for row in rows:
            key = (row.organisation_id, normalise_email(row.email) if row.email else None)
            row.linked_customer = by_email.get(key)
        self.result_list = rows


@admin.register(Suppression)
class SuppressionAdmin(OrganisationScopedAdmin):
    list_display = ["address", "reason", "date_removed", "customer_link", "created_at"]
    list_filter = ["reason", "date_removed"]
    search_fields = ["email"]  # replaced by an exact, hashed lookup below
    search_help_text = "Exact email address (finds erased addresses too, by their hash)."
    show_full_result_count = False
    fields = ["email", "reason", "date_removed"]
    actions = ["resubscribe_with_challenge", "resubscribe_without_challenge"]

    @admin.display(description="address", ordering="email")
    def address(self, obj):
        return obj.email or "(erased: hash only)"

    @admin.display(description="customer")
    def customer_link(self, obj):
        customer = getattr(obj, "linked_customer", None)
        if customer is None:
            return "—"
        url = reverse("admin:customers_customer_change", args=[customer.pk])
        return format_html('<a href="{}">{}</a>', url, customer)

    def get_changelist(self, request, **kwargs):
        return SuppressionChangeList

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
    list_filter = [
        "channel",
        recent_values_filter("programme", newest_first="-updated_at"),
        "status",
    ]
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


def _suppression_and_channel_summary(customer) -> list[SummaryRow]:
    """Email suppression (with a pending challenge) and the channel programmes of the customer."""
    rows = []
    if customer.email:
        entry = Suppression.objects.filter(
            organisation_id=customer.organisation_id,
            address_key=address_key(normalise_email(customer.email)),
        ).first()
        rows.append(
            SummaryRow(
                section="Email",
                item=f"suppression list ({customer.email})",
                state=f"suppressed: {entry.reason}" if entry else "not suppressed",
                since=entry.date_removed if entry else None,
                ledger=("email.suppression", ""),
                blocks=entry is not None,
            )
        )
        challenge = (
            ResubscribeChallenge.objects.filter(
                customer=customer, confirmed_at=None, expires_at__gt=timezone.now()
            )
            .order_by("-created_at")
            .first()
        )
        if challenge is not None:
            rows.append(
                SummaryRow(
                    section="Email",
                    item="resubscribe challenge",
                    state=f"pending until {challenge.expires_at:%Y-%m-%d %H:%M}",
                    since=challenge.created_at,
                )
            )
    else:
        rows.append(SummaryRow(section="Email", item="address", state="none", blocks=True))
    for subscription in ChannelSubscription.objects.filter(customer=customer).order_by("channel"):
        rows.append(
            SummaryRow(
                section="Channel programmes",
                item=f"{subscription.get_channel_display()} {subscription.programme}",
                state=CHANNEL_STATUS_WORDS[subscription.status],
                since=subscription.updated_at,
                ledger=(
                    "channel.subscription",
                    f"{subscription.channel}:{subscription.programme}",
                ),
                blocks=subscription.status == ChannelSubscription.Status.OPT_OUT,
            )
        )
    return rows


CHANNEL_STATUS_WORDS = {"OPT_IN": "opted in", "OPT_OUT": "opted out"}
describe_ledger_kind("email.suppression", LedgerKindDisplay("Email suppression", {None: "none"}))
describe_ledger_kind("email.subscription", LedgerKindDisplay("Email subscription"))
describe_ledger_kind("channel.subscription", LedgerKindDisplay("Channel", CHANNEL_STATUS_WORDS))
attach_customer_summary(_suppression_and_channel_summary)
