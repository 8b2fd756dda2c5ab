from django.contrib import admin
from django.db.models import Q
from django.forms.models import BaseInlineFormSet

from customers.admin import ReadOnlyAdminMixin, attach_customer_inline
from customers.admin_base import OrganisationScopedAdmin, recent_values_filter

from .models import EmailLog


@admin.register(EmailLog)
class EmailLogAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin):
    """Delivery logs, read-only: they come from imports and email events, never from staff."""

    list_display = ["public_id", "created", "customer", "recipient_address", "status", "email_name"]
    list_filter = [recent_values_filter("status", newest_first="-created"), "created"]
    list_select_related = ["customer"]
    search_fields = ["recipient_address", "email_name"]
    search_help_text = "Exact recipient address, or part of the email's name."
    show_full_result_count = False
    raw_id_fields = ["customer"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        # Exact address (as given or lower-cased) uses emaillog_org_address_idx.
        match = Q(recipient_address__in={term, term.lower()}) | Q(email_name__icontains=term)
        return queryset.filter(match), False


class RecentEmailLogsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        # Only the newest logs: a customer may have thousands (emaillog_customer_created_idx).
        return super().get_queryset().order_by("-created", "-id")[: EmailLogInline.max_shown]


class EmailLogInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = EmailLog
    formset = RecentEmailLogsFormSet
    max_shown = 20
    extra = 0
    fields = ["public_id", "created", "status", "email_name", "email_version", "recipient_address"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = f"Recent email logs (newest {max_shown})"


attach_customer_inline(EmailLogInline)
