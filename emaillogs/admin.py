from django.contrib import admin
from django.db.models import Q

from customers.admin import ReadOnlyAdminMixin
from customers.admin_base import OrganisationScopedAdmin

from .models import EmailLog


@admin.register(EmailLog)
class EmailLogAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin):
    """Delivery logs, read-only: they come from imports and email events, never from staff."""

    list_display = ["public_id", "created", "customer", "recipient_address", "status", "email_name"]
    list_filter = ["status", "created"]
    list_select_related = ["customer"]
    date_hierarchy = "created"
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
