"""Reads shared by views, the admin and commands."""

from .models import ConsentEvent, Customer
from .tenancy import get_in_organisation_or_404


def customer_by_uuid_or_404(*, organisation, customer_uuid) -> Customer:
    """The organisation's customer with this UUID (erased customers are gone); else Http404."""
    return get_in_organisation_or_404(
        Customer.objects.filter(erased_at__isnull=True), organisation, uuid=customer_uuid
    )


def consent_history(*, customer: Customer):
    """The customer's ledger, newest first (served by consentevent_customer_idx)."""
    return ConsentEvent.objects.filter(customer=customer).order_by("-occurred_at", "-id")
