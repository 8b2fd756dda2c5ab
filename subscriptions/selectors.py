"""Reads of the subscriptions app, shared by the API dialects, hosted pages, admin and commands."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.http import Http404

from customers.models import Customer
from customers.normalisation import address_key, normalise_email
from customers.selectors import ContactNotFound
from customers.tenancy import get_in_organisation_or_404
from preferences.models import PreferenceOptIn

from .models import Suppression


def suppression_statuses(customers: Sequence[Customer]) -> dict[int, str]:
    """The v2 status of each suppressed customer, by id, in one query.

    Looked up by address hash, so a customer created with an address that was suppressed before
    (or that belonged to an erased customer) comes back suppressed. Unsuppressed customers are
    left out: the caller's default is "Subscribed".
    """
    wanted: dict[tuple[int, str], list[int]] = {}
    for customer in customers:
        if customer.email_key:
            key = (customer.organisation_id, address_key(customer.email_key))
            wanted.setdefault(key, []).append(customer.pk)
    if not wanted:
        return {}
    rows = Suppression.objects.filter(
        organisation_id__in={org for org, _ in wanted},
        address_key__in={key for _, key in wanted},
    ).values_list("organisation_id", "address_key", "reason")
    statuses = {}
    for organisation_id, key, reason in rows:
        for customer_id in wanted.get((organisation_id, key), ()):
            # The status names the reason: "Unsubscribed", "HardBounced", "Suppressed", …
            statuses[customer_id] = reason
    return statuses


def suppression_for_address(*, organisation, email: str) -> Suppression | None:
    key = address_key(normalise_email(email))
    return Suppression.objects.for_organisation(organisation).filter(address_key=key).first()


def suppressions_since(
    *, organisation, since: datetime, unsubscribed_only: bool, skip: int, select: int
) -> list[Suppression]:
    """Entries removed at or after `since`, by removal time then id (stable select/skip paging).

    Entries whose address was erased are left out: they have no address to report.
    """
    entries = Suppression.objects.for_organisation(organisation).filter(
        date_removed__gte=since, email__isnull=False
    )
    if unsubscribed_only:
        entries = entries.filter(reason=Suppression.Reason.UNSUBSCRIBED)
    return list(entries.order_by("date_removed", "id")[skip : skip + select])


def customers_by_email_key(*, organisation, email_keys: Iterable[str]) -> dict[str, Customer]:
    """The organisation's (not erased) customers with these addresses, in one query."""
    email_keys = set(email_keys)
    if not email_keys:
        return {}
    customers = (
        Customer.objects.for_organisation(organisation).live().filter(email_key__in=email_keys)
    )
    return {customer.email_key: customer for customer in customers}


def contact_by_email_or_404(*, organisation, email: str) -> Customer:
    """The organisation's (not erased) customer with this address, whatever its case; else 404."""
    try:
        return get_in_organisation_or_404(
            Customer.objects.live(),
            organisation,
            email_key=normalise_email(email) or "",
        )
    except Http404 as exc:
        raise ContactNotFound() from exc


def marketing_preference_opt_ins(*, customer: Customer) -> list[PreferenceOptIn]:
    """The customer's recorded preference states (rule R2: the preferences app's one table)."""
    return list(
        PreferenceOptIn.objects.for_organisation(customer.organisation_id)
        .filter(customer=customer)
        .order_by("preference_id")
    )
