"""Reads shared by views, the admin and commands."""

import uuid
from datetime import datetime
from functools import cache

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404

from .models import ConsentEvent, Customer, Membership, Organisation
from .normalisation import is_canonical_uuid, normalise_email
from .rows import ModelRows, fetch, prep
from .tenancy import get_in_organisation_or_404


class ContactNotFound(Http404):
    """No contact (customer) in the caller's organisation has this identifier."""

    error_code = "ERROR_CONTACT_NOT_FOUND"

    def __init__(self, message: str = "Contact not found."):
        super().__init__(message)


CUSTOMER_NOT_FOUND = "No customer matches the given query."
_CUSTOMER = ModelRows(Customer, "c")
# One statement per lookup column, written once (fixed SQL: no query building per request).
_LIVE_CUSTOMER_SQL = {
    column: f"SELECT {_CUSTOMER.columns} FROM {Customer._meta.db_table} c "
    f"WHERE c.organisation_id = %s AND c.{column} = %s AND c.erased_at IS NULL"
    for column in ("id", "uuid")
}


def live_customer_or_none(*, organisation, pk=None, customer_uuid=None) -> Customer | None:
    """The organisation's live (not erased) customer by id or by UUID object, else None.

    One statement on the (organisation, id) or unique uuid index; the hot path of every
    per-customer API request.
    """
    if pk is not None:
        column, value = "id", pk
    else:
        column, value = "uuid", prep(Customer, "uuid", customer_uuid)
    rows = fetch(_LIVE_CUSTOMER_SQL[column], [getattr(organisation, "pk", organisation), value])
    return _CUSTOMER.instance(rows[0]) if rows else None


def customer_by_uuid_or_404(*, organisation, customer_uuid) -> Customer:
    """The organisation's customer with this UUID (erased customers are gone); else Http404.

    The UUID must be spelled 8-4-4-4-12 (any case), as the schema promises; anything else names
    no customer.
    """
    if isinstance(customer_uuid, str):
        if not is_canonical_uuid(customer_uuid):
            raise Http404(CUSTOMER_NOT_FOUND)
        customer_uuid = uuid.UUID(customer_uuid)
    elif not isinstance(customer_uuid, uuid.UUID):
        raise Http404(CUSTOMER_NOT_FOUND)
    customer = live_customer_or_none(organisation=organisation, customer_uuid=customer_uuid)
    if customer is None:
        raise Http404(CUSTOMER_NOT_FOUND)
    return customer


@cache
def _api_user_rows():
    user_model = get_user_model()
    user, membership, organisation = (
        ModelRows(user_model, "u"),
        ModelRows(Membership, "m"),
        ModelRows(Organisation, "o"),
    )
    sql = (
        f"SELECT {user.columns}, {membership.columns}, {organisation.columns} "
        f"FROM {user_model._meta.db_table} u "
        f"LEFT JOIN {Membership._meta.db_table} m ON m.user_id = u.id "
        f"LEFT JOIN {Organisation._meta.db_table} o ON o.id = m.organisation_id "
        f'WHERE u."{user_model.USERNAME_FIELD}" = %s'
    )
    return sql, user, membership, organisation


def api_user(username: str):
    """The user with this user name, with its membership and organisation attached, else None.

    One statement, read afresh on every request: a deactivated user or a changed password or
    role takes effect at once. `user.membership` raises as usual for a user outside any
    organisation.
    """
    sql, user_rows, membership_rows, organisation_rows = _api_user_rows()
    rows = fetch(sql, [username])
    if not rows:
        return None
    row = rows[0]
    user = user_rows.instance(row)
    membership_field = type(user)._meta.get_field("membership")
    if row[user_rows.width] is None:
        membership_field.set_cached_value(user, None)
        return user
    membership = membership_rows.instance(row, user_rows.width)
    organisation = organisation_rows.instance(row, user_rows.width + membership_rows.width)
    Membership._meta.get_field("organisation").set_cached_value(membership, organisation)
    Membership._meta.get_field("user").set_cached_value(membership, user)
    membership_field.set_cached_value(user, membership)
    return user


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
