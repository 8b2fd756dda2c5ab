"""Reads of the subscriptions app, shared by the API dialects, hosted pages, admin and commands."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import Http404

from customers.lookups import array_literal
from customers.models import Customer
from customers.normalisation import address_key, address_keys, normalise_email
from customers.rows import json_object, values_rows
from customers.selectors import ContactNotFound
from customers.tenancy import get_in_organisation_or_404
from preferences.models import PreferenceOptIn

from .models import ChannelSubscription, ResubscribeChallenge, Suppression


def suppression_reasons(*, organisation_ids: Iterable[int], address_keys: Iterable[str]) -> dict:
    """{(organisation id, address key): reason} of the suppressed among these, in one query.

    The one "is this address suppressed?" lookup: v2 contact statuses, decisions and tests ask
    here. Keyed by address hash, so an address suppressed before any customer had it, or whose
    customer was erased, is found. Served by suppression_unique_address.
    """
    organisation_ids, address_keys = set(organisation_ids), set(address_keys)
    if not organisation_ids or not address_keys:
        return {}
    rows = Suppression.objects.filter(
        organisation_id__in=organisation_ids, address_key__in_array=address_keys
    ).values_list("organisation_id", "address_key", "reason")
    return {(organisation_id, key): reason for organisation_id, key, reason in rows}


def listed_reasons(*, organisation, address_keys: list[str]) -> dict[str, str]:
    """{address key: reason} of the entries among these that still hold their address (an
    erased customer's entry does not), in one query: what import_suppressions would leave as it
    is. On PostgreSQL one index lookup per key (suppression_unique_address): during a long
    import the table's statistics lag behind its size, and a plan that filters the whole
    organisation per batch would make a re-run quadratic."""
    if not address_keys:
        return {}
    if connection.vendor != "postgresql":
        rows = Suppression.objects.filter(
            organisation=organisation, address_key__in_array=address_keys, email__isnull=False
        ).values_list("address_key", "reason")
        return dict(rows.order_by())
    with connection.cursor() as cursor:
        cursor.execute(
            _LISTED_REASONS.format(table=Suppression._meta.db_table),
            {"org": organisation.pk, "keys": array_literal(address_keys)},
        )
        return dict(cursor.fetchall())


_LISTED_REASONS = """
SELECT k.key, s.reason
FROM unnest(%(keys)s::text[]) AS k(key)
CROSS JOIN LATERAL (
    SELECT reason FROM {table}
    WHERE organisation_id = %(org)s AND address_key = k.key AND email IS NOT NULL
    LIMIT 1
) s
"""


def suppression_reason_of(*, organisation, email: str | None) -> str | None:
    """The suppression reason of one address ("Unsubscribed", "HardBounced", …), else None."""
    email_key = normalise_email(email)
    if email_key is None:
        return None
    organisation_id = getattr(organisation, "pk", organisation)
    return suppression_reasons(
        organisation_ids=[organisation_id], address_keys=[address_key(email_key)]
    ).get((organisation_id, address_key(email_key)))


def suppression_statuses(customers: Sequence[Customer]) -> dict[int, str]:
    """The v2 status of each suppressed customer, by id, in one query.

    A customer created with an address that was suppressed before (or that belonged to an erased
    customer) comes back suppressed. Unsuppressed customers are left out: the caller's default
    is "Subscribed".
    """
    wanted: dict[tuple[int, str], list[int]] = {}
    addressed = [customer for customer in customers if customer.email_key]
    keys = address_keys([customer.email_key for customer in addressed])
    for customer, key in zip(addressed, keys, strict=True):
        wanted.setdefault((customer.organisation_id, key), []).append(customer.pk)
    found = suppression_reasons(
        organisation_ids={org for org, _ in wanted}, address_keys={key for _, key in wanted}
    )
    # The status names the reason: "Unsubscribed", "HardBounced", "Suppressed", …
    return {
        customer_id: reason
        for pair, reason in found.items()
        for customer_id in wanted.get(pair, ())
    }


def suppression_for_address(*, organisation, email: str) -> Suppression | None:
    key = address_key(normalise_email(email))
    return Suppression.objects.for_organisation(organisation).filter(address_key=key).first()


class SuppressedRow(NamedTuple):
    email: str
    reason: str
    date_removed: datetime


class ContactRow(NamedTuple):
    """A contact's v2 fields (what customers.api.v2_contact reads), without a model instance."""

    pk: int
    email: str | None
    opt_in_type: str
    email_type: str
    data_fields: dict


def suppressions_since(
    *, organisation, since: datetime, unsubscribed_only: bool, skip: int, select: int
) -> list[SuppressedRow]:
    """Entries removed at or after `since`, by removal time then id (stable select/skip paging).

    Entries whose address was erased are left out: they have no address to report. Plain rows:
    a page of 1000 model instances costs more than its query. Served by suppression_org_date_idx
    (suppression_unsub_date_idx for Unsubscribed only), in order, stopping at the page's end.
    """
    entries = Suppression.objects.for_organisation(organisation).filter(
        date_removed__gte=since, email__isnull=False
    )
    if unsubscribed_only:
        entries = entries.filter(reason=Suppression.Reason.UNSUBSCRIBED)
    rows = entries.order_by("date_removed", "id").values_list("email", "reason", "date_removed")
    # date_removed is only formatted: read without Django's per-value parsing.
    return [SuppressedRow(*row) for row in values_rows(rows[skip : skip + select])]


def _live_customers_with_email_keys(organisation, email_keys: set[str]):
    """The one query behind the three by-address lookups below (email_key, as one array)."""
    return (
        Customer.objects.for_organisation(organisation)
        .live()
        .filter(email_key__in_array=email_keys)
    )


def contacts_by_email_key(*, organisation, email_keys: Iterable[str]) -> dict[str, ContactRow]:
    """customers_by_email_key as plain rows of the v2 contact fields, in one query."""
    email_keys = set(email_keys)
    if not email_keys:
        return {}
    # data_fields as text, decoded here: JSONField's decoder costs a few µs a row even for the
    # empty object most contacts have.
    rows = (
        _live_customers_with_email_keys(organisation, email_keys)
        .annotate(data_text=Cast("data_fields", TextField()))
        .values_list("email_key", "pk", "email", "opt_in_type", "email_type", "data_text")
    )
    return {row[0]: ContactRow(*row[1:5], json_object(row[5])) for row in rows}


def customers_by_email_key(*, organisation, email_keys: Iterable[str]) -> dict[str, Customer]:
    """The organisation's (not erased) customers with these addresses, in one query."""
    email_keys = set(email_keys)
    if not email_keys:
        return {}
    customers = _live_customers_with_email_keys(organisation, email_keys)
    return {customer.email_key: customer for customer in customers}


def customer_ids_by_email_key(*, organisation, email_keys: Iterable[str]) -> dict[str, int]:
    """{address: id} of the organisation's (not erased) customers with these addresses; 1 query.

    customers_by_email_key's rows without building a model instance each (bulk writers)."""
    email_keys = set(email_keys)
    if not email_keys:
        return {}
    rows = _live_customers_with_email_keys(organisation, email_keys).values_list("email_key", "pk")
    return dict(rows)


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


# Export (customers.exporting) -------------------------------------------------------------------
def export_suppression(customer: Customer) -> dict | None:
    """The suppression entry of the customer's address, or None."""
    if not customer.email_key:
        return None
    return (
        Suppression.objects.filter(
            organisation_id=customer.organisation_id, address_key=address_key(customer.email_key)
        )
        .values("email", "reason", "date_removed", "created_at")
        .first()
    )


def export_channel_subscriptions(customer: Customer) -> list[dict]:
    return list(
        ChannelSubscription.objects.filter(customer_id=customer.pk)
        .order_by("channel", "programme")
        .values("channel", "programme", "status", "updated_at")
    )


def export_resubscribe_challenges(customer: Customer) -> list[dict]:
    """Every resubscribe challenge of the customer, pending or not (with their data fields)."""
    return list(
        ResubscribeChallenge.objects.filter(customer_id=customer.pk)
        .order_by("created_at")
        .values(
            "id",
            "email",
            "locale",
            "return_url",
            "data_fields",
            "created_at",
            "expires_at",
            "confirmed_at",
        )
    )
