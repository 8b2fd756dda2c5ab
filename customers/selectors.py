"""Reads shared by views, the admin and commands."""

from datetime import datetime

from django.db.models import Q
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
    return get_in_organisation_or_404(Customer.objects.live(), organisation, uuid=customer_uuid)


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
    return get_in_organisation_or_404(Customer.objects.live(), organisation, email_key=key)


# The consent record's fields, in the order v2 `consentFields` lists them.
CONSENT_FIELDS = ("text", "dateTimeConsented", "url", "ipAddress", "userAgent")
MAX_CONSENT_EVENTS = 1000


def consent_proof(*, customer: Customer) -> list[dict]:
    """The ledger's proof of the customer's consent, newest first: one record per request that
    opted them in to something or carried a consent record from the client.

    Each record has CONSENT_FIELDS: what the client sent, else what the ledger saw (the time of
    the change, and the address and user agent of the request); `dateTimeConsented` is a
    datetime. One query, served by consentevent_customer_idx; at most MAX_CONSENT_EVENTS events
    are read.
    """
    events = (
        ConsentEvent.objects.filter(customer=customer)
        .filter(Q(consent__isnull=False) | Q(kind="preference.opt_in", new_value=True))
        .order_by("-occurred_at", "-id")
        .only("occurred_at", "ip_address", "user_agent", "request_id", "consent")[
            :MAX_CONSENT_EVENTS
        ]
    )
    records, seen = [], set()
    for event in events:
        # The events of one request share its id (and otherwise their time).
        request = event.request_id or event.occurred_at
        if request in seen:
            continue
        seen.add(request)
        seen_by_ledger = {
            "text": "",
            "dateTimeConsented": event.occurred_at,
            "url": "",
            "ipAddress": event.ip_address or "",
            "userAgent": event.user_agent,
        }
        for given in event.consent or [{}]:
            record = {name: given.get(name) or seen_by_ledger[name] for name in CONSENT_FIELDS}
            if isinstance(record["dateTimeConsented"], str):
                record["dateTimeConsented"] = datetime.fromisoformat(record["dateTimeConsented"])
            records.append(record)
    return records
