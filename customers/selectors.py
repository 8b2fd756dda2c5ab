"""Reads shared by views, the admin and commands."""

from django.http import Http404

from .models import ConsentEvent, Customer
from .normalisation import normalise_email
from .tenancy import get_in_organisation_or_404


class ContactNotFound(Http404):
    """No contact (customer) in the caller's organisation has this identifier."""

    error_code = "ERROR_CONTACT_NOT_FOUND"

    def __init__(self, message: str = "Contact not found."):
        super().__init__(message)


def customer_by_uuid_or_404(*, organisation, customer_uuid) -> Customer:
    """The organisation's customer with this UUID (erased customers are gone); else Http404."""
    return get_in_organisation_or_404(
        Customer.objects.filter(erased_at__isnull=True), organisation, uuid=customer_uuid
    )


def consent_history(*, customer: Customer):
    """The customer's ledger, newest first (served by consentevent_customer_idx)."""
    return ConsentEvent.objects.filter(customer=customer).order_by("-occurred_at", "-id")


def customer_by_email_or_404(*, organisation, email: str) -> Customer:
    """The organisation's customer with this email in any case (not erased); else Http404.

    One query, served by customer_email_unique_per_org_ci.
    """
    key = normalise_email(email)
    if key is None:  # email_key=None would match every customer without an email
        raise Http404("No customer matches the given query.")
    return get_in_organisation_or_404(
        Customer.objects.filter(erased_at__isnull=True), organisation, email_key=key
    )
