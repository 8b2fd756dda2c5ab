"""Every write of the subscriptions app: one function per use case, transactional, on the ledger.

Suppression writes of one organisation are serialised (a transaction-scoped advisory lock on
PostgreSQL; SQLite's IMMEDIATE transactions already take the write lock up front), so "is this
address already suppressed?" and the insert that follows can never race, and every ledger event
matches exactly one effective change.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from customers import locking
from customers.ledger import Change, Provenance, record_changes
from customers.lookups import array_literal
from customers.models import Customer
from customers.normalisation import address_key, normalise_email
from customers.services import customer_merge_data_fields
from emaillogs.services import DeliveryEvent, delivery_events_log

from . import selectors
from .models import ChannelSubscription, ResubscribeChallenge, Suppression

logger = logging.getLogger("consent.subscriptions")

Reason = Suppression.Reason
SUPPRESSION = "email.suppression"
CHANNEL = "channel.subscription"
_TOKEN_SALT = "subscriptions.resubscribe-challenge"
CHALLENGE_LANGUAGES = ("en", "de")


class ResubscribeRefused(Exception):
    """A hard-bounced or complained address may only come back through a confirmed challenge."""


class ChallengeGone(Exception):
    """The confirmation link was used already or has expired."""

    def __init__(self, challenge: ResubscribeChallenge | None, why: str):
        super().__init__(why)
        self.challenge = challenge
        self.why = why  # "used" or "expired"


class ChallengeNotFound(Exception):
    pass


# Suppression list -------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddressToSuppress:
    email: str  # normalised
    reason: str
    date_removed: datetime
    customer_id: int | None = None


def _lock_suppressions(organisation_id: int) -> None:
    locking.lock_address_list(organisation_id)


def _suppress(
    *, organisation, wanted: list[AddressToSuppress], provenance: Provenance, now=None
) -> tuple[dict[str, Suppression], dict[str, int], int]:
    """Put addresses on the list, set-based: (existing entries by key, ids of the entries created
    by key, updated count).

    Rule R7, the strongest reason wins: an existing entry with a weaker reason (Unsubscribed,
    Suppressed) is replaced by a stronger one (HardBounced, IspComplained), taking its date, with
    one ledger event old → new; an equal or weaker reason changes nothing, so since-date lists
    do not move. Within `wanted`, the strongest item per address counts. An erased entry's
    address is filled in again. "Updated" counts entries upgraded or given their address back.
    Queries: lock, existing entries, [one update of upgraded/restored entries], insert, ledger.
    New entries are written from plain values (no model instances: 10,000 of them would cost
    more than the INSERT); `now` is their created_at.
    """
    organisation_id = getattr(organisation, "pk", organisation)
    _lock_suppressions(organisation_id)
    by_key: dict[str, AddressToSuppress] = {}
    for item in wanted:
        key = address_key(item.email)
        if key not in by_key or reason_rank(item.reason) > reason_rank(by_key[key].reason):
            by_key[key] = item
    existing = {
        entry.address_key: entry
        for entry in Suppression.objects.filter(
            organisation_id=organisation_id, address_key__in_array=list(by_key)
        )
    }
    changes, updated = [], []
    for key, entry in existing.items():
        item = by_key[key]
        restored = entry.email is None
        if restored:
            entry.email = item.email
        if reason_rank(item.reason) > reason_rank(entry.reason):
            changes.append(_suppression_change(item, key, entry.reason, item.reason))
            entry.reason, entry.date_removed = item.reason, item.date_removed
        elif not restored:
            continue
        updated.append(entry)
    _update_suppressions(updated)
    new = {key: item for key, item in by_key.items() if key not in existing}
    created = _insert_suppressions(organisation_id, new, now or timezone.now())
    changes += [_suppression_change(item, key, None, item.reason) for key, item in new.items()]
    record_changes(organisation=organisation_id, changes=changes, provenance=provenance)
    return existing, created, len(updated)


def reason_rank(reason: str) -> int:
    """How strong a suppression reason is (rule R7): the mailbox or its owner refusing mail
    (HardBounced, IspComplained) outranks an unsubscribe or a bulk suppression."""
    return 2 if reason in Suppression.DELIVERY_REASONS else 1


def _suppression_change(item: AddressToSuppress, key: str, old, new) -> Change:
    return Change(
        SUPPRESSION,
        "",
        old,
        new,
        customer_id=item.customer_id,
        subject_key="" if item.customer_id else key,
    )


def _insert_suppressions(
    organisation_id: int, new: dict[str, AddressToSuppress], created_at
) -> dict[str, int]:
    """One INSERT whatever the number of entries (address key → item); their ids by key.

    On PostgreSQL the rows travel as four array literals (unnest), each one text value: compiling
    10,000 rows through the ORM, or letting psycopg quote 10,000 list items one by one, costs
    more than the database's work. Elsewhere the ORM's bulk_create.
    """
    if not new:
        return {}
    if connection.vendor != "postgresql":
        entries = Suppression.objects.bulk_create(
            Suppression(
                organisation_id=organisation_id,
                address_key=key,
                email=item.email,
                reason=item.reason,
                date_removed=item.date_removed,
                created_at=created_at,
            )
            for key, item in new.items()
        )
        return {entry.address_key: entry.pk for entry in entries}
    table = Suppression._meta.db_table
    items = new.values()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # table name from our own model, never input
            "(organisation_id, address_key, email, reason, date_removed, created_at) "
            "SELECT %s, k, e, r, d, %s "
            "FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::timestamptz[]) "
            "AS t(k, e, r, d) RETURNING address_key, id",
            [
                organisation_id,
                created_at,
                array_literal(new),
                array_literal([item.email for item in items]),
                array_literal([item.reason for item in items]),
                array_literal([item.date_removed.isoformat() for item in items]),
            ],
        )
        return dict(cursor.fetchall())


def _update_suppressions(entries: list[Suppression]) -> None:
    """One UPDATE of the entries' address, reason and date, whatever their number.

    On PostgreSQL the new values travel as arrays (unnest) joined on the id: bulk_update's
    CASE WHEN per row and column costs far more to compile than the update. Elsewhere the ORM's
    bulk_update.
    """
    if not entries:
        return
    if connection.vendor != "postgresql":
        Suppression.objects.bulk_update(entries, ["email", "reason", "date_removed"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Suppression._meta.db_table} AS s "  # our own table name, never input
            "SET email = t.e, reason = t.r, date_removed = t.d "
            "FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::timestamptz[]) "
            "AS t(i, e, r, d) WHERE s.id = t.i",
            [
                array_literal([entry.pk for entry in entries]),
                array_literal([entry.email for entry in entries]),
                array_literal([entry.reason for entry in entries]),
                array_literal([entry.date_removed for entry in entries]),
            ],
        )


def _unsuppress(*, suppression: Suppression, customer_id: int | None, provenance: Provenance):
    suppression.delete()
    record_changes(
        organisation=suppression.organisation_id,
        changes=[
            Change(
                SUPPRESSION,
                "",
                suppression.reason,
                None,
                customer_id=customer_id,
                subject_key="" if customer_id else suppression.address_key,
            )
        ],
        provenance=provenance,
    )


@transaction.atomic
def address_unsubscribe(
    *, organisation, email: str, provenance: Provenance
) -> tuple[Suppression, Customer | None]:
    """Suppress an address with reason Unsubscribed, known as a customer or not (seed 002).

    An address already on the list stays as it is (Unsubscribed never replaces a reason, R7).
    """
    email = normalise_email(email)
    customer = selectors.customers_by_email_key(organisation=organisation, email_keys=[email]).get(
        email
    )
    now = timezone.now()
    item = AddressToSuppress(
        email=email,
        reason=Reason.UNSUBSCRIBED,
        date_removed=now,
        customer_id=customer.pk if customer else None,
    )
    existing, created, _ = _suppress(
        organisation=organisation, wanted=[item], provenance=provenance, now=now
    )
    key = address_key(email)
    if key in existing:
        return existing[key], customer
    entry = Suppression(
        id=created[key],
        organisation_id=getattr(organisation, "pk", organisation),
        address_key=key,
        email=email,
        reason=item.reason,
        date_removed=now,
        created_at=now,
    )
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry, customer


@dataclass(frozen=True)
class ContactRef:
    """One item of a suppress-contacts request: a contact id or an email address."""

    id: int | None = None
    email: str | None = None


@transaction.atomic
def contacts_suppress(
    *, organisation, refs: list[ContactRef], provenance: Provenance
) -> tuple[list[ContactRef], list[ContactRef]]:
    """Suppress (reason Suppressed) the contacts named by id or email: (suppressed, not found).

    Set-based whatever the size: one customer query, then _suppress's fixed few. Contacts that
    are unknown, erased, of another organisation or without an address are reported as not
    found and nothing is suppressed for them.
    """
    ids = {ref.id for ref in refs if ref.id is not None}
    keys = [None if ref.email is None else normalise_email(ref.email) for ref in refs]
    email_keys = {key for key in keys if key is not None}
    found = Customer.objects.for_organisation(organisation).live().filter(email_key__isnull=False)
    by_id, by_key = {}, {}
    # Plain tuples: building 10,000 model instances would cost more than the query. Each list
    # travels as one array literal (__in_array), not as 10,000 placeholders.
    for pk, email_key in found.filter(
        Q(pk__in_array=ids) | Q(email_key__in_array=email_keys)
    ).values_list("id", "email_key"):
        by_id[pk] = by_key[email_key] = (pk, email_key)
    now = timezone.now()
    suppressed, not_found, wanted = [], [], []
    for ref, key in zip(refs, keys, strict=True):
        customer = by_id.get(ref.id) if ref.id is not None else by_key.get(key)
        if customer is None:
            not_found.append(ref)
            continue
        suppressed.append(ref)
        pk, email_key = customer
        wanted.append(AddressToSuppress(email_key, Reason.SUPPRESSED, now, pk))
    if wanted:
        _suppress(organisation=organisation, wanted=wanted, provenance=provenance)
    return suppressed, not_found


@transaction.atomic
def suppressions_add(
    *, organisation, entries: list[AddressToSuppress], provenance: Provenance
) -> tuple[int, int, int]:
    """Add addresses with their own reasons and dates (import, admin, demo).

    Returns (created, updated, unchanged); "updated" is an entry whose reason a stronger one
    replaced (R7) or an erased entry whose address came back.
    """
    customer_ids = selectors.customer_ids_by_email_key(
        organisation=organisation, email_keys=[entry.email for entry in entries]
    )
    wanted = [
        AddressToSuppress(
            email=entry.email,
            reason=entry.reason,
            date_removed=entry.date_removed,
            customer_id=customer_ids.get(entry.email),
        )
        for entry in entries
    ]
    _, created, restored = _suppress(
        organisation=organisation, wanted=wanted, provenance=provenance
    )
    # Repeats of an address within the batch count as unchanged.
    return len(created), restored, len(entries) - len(created) - restored


# Delivery events ------------------------------------------------------------------------------
# The events that put an address on the suppression list, and as what.
SUPPRESSING_EVENTS = {
    "bounce": Reason.HARD_BOUNCED,
    "hard_bounce": Reason.HARD_BOUNCED,
    "spamreport": Reason.ISP_COMPLAINED,
    "unsubscribe": Reason.UNSUBSCRIBED,
}


@dataclass(frozen=True)
class EmailEventsRecorded:
    logged: int
    suppressed: int
    duplicates: int
    unknown_addresses: int


@transaction.atomic
def email_events_record(
    *, organisation, events: list[DeliveryEvent], provenance: Provenance
) -> EmailEventsRecorded:
    """Delivery events of a sending provider: email logs, and suppression where they say so.

    Each event becomes an email log of the customer with its address (emaillogs); a replay
    (same message id and event) writes nothing. Hard bounces, complaints and unsubscribes of
    events seen for the first time suppress their address through suppressions_add, the one
    writer of the list, with or without a customer. Set-based: a fixed number of queries.
    """
    logged = delivery_events_log(organisation=organisation, events=events)
    entries = [
        AddressToSuppress(
            email=event.email, reason=SUPPRESSING_EVENTS[event.event], date_removed=event.created
        )
        for event in logged.fresh
        if event.event in SUPPRESSING_EVENTS
    ]
    # One entry per address reaches the list: give it the batch's delivery reason when there is
    # one (a bounce outranks an unsubscribe, R7); the list itself weighs it against what it has.
    entries.sort(key=lambda entry: entry.reason not in Suppression.DELIVERY_REASONS)
    suppressed = 0
    if entries:
        created, updated, _ = suppressions_add(
            organisation=organisation, entries=entries, provenance=provenance
        )
        suppressed = created + updated
    return EmailEventsRecorded(
        logged=logged.logged,
        suppressed=suppressed,
        duplicates=logged.duplicates,
        unknown_addresses=logged.unknown_addresses,
    )


# Resubscribe -----------------------------------------------------------------------------------
def _locked_suppression(organisation_id: int, email_key: str) -> Suppression | None:
    return _locked_suppression_by_key(organisation_id, address_key(email_key))


def _locked_suppression_by_key(organisation_id: int, key: str) -> Suppression | None:
    _lock_suppressions(organisation_id)
    return Suppression.objects.filter(organisation_id=organisation_id, address_key=key).first()


def challenge_language(locale: str | None) -> str:
    """English or German, from a preferredLocale such as "de-DE" or a customer's "de-AT"."""
    language = (locale or "").replace("_", "-").split("-")[0].lower()
    return language if language in CHALLENGE_LANGUAGES else "en"


def challenge_ttl() -> timedelta:
    return timedelta(seconds=getattr(settings, "RESUBSCRIBE_CHALLENGE_TTL_SECONDS", 7 * 86400))


def challenge_token(challenge: ResubscribeChallenge) -> str:
    """The signed, timestamped token of the confirmation link."""
    return signing.dumps(str(challenge.pk), salt=_TOKEN_SALT)


def challenge_from_token(token: str) -> ResubscribeChallenge:
    """The challenge a link names; ChallengeNotFound for a forged or unknown token.

    Expiry is checked on confirmation (and on display) against the challenge's `expires_at`.
    """
    try:
        challenge_id = signing.loads(token, salt=_TOKEN_SALT)
        return ResubscribeChallenge.objects.select_related("customer").get(pk=challenge_id)
    except (signing.BadSignature, ResubscribeChallenge.DoesNotExist, ValueError) as exc:
        raise ChallengeNotFound() from exc


def challenge_state(challenge: ResubscribeChallenge) -> str:
    """ "pending", "used" or "expired"."""
    if challenge.confirmed_at is not None:
        return "used"
    if challenge.expires_at <= timezone.now():
        return "expired"
    return "pending"


def challenge_link(challenge: ResubscribeChallenge) -> str:
    path = reverse("subscriptions-resubscribe-confirm", args=[challenge_token(challenge)])
    return f"{settings.SITE_URL}{path}"


def send_challenge_email(challenge_id) -> None:
    """Render and send the confirmation email (after commit, so the link works when it lands)."""
    challenge = ResubscribeChallenge.objects.select_related("organisation").get(pk=challenge_id)
    language = challenge_language(challenge.locale)
    context = {
        "link": challenge_link(challenge),
        "organisation": challenge.organisation.name,
        "expires_at": challenge.expires_at,
    }
    base = f"subscriptions/resubscribe/{language}"
    subject = render_to_string(f"{base}/email_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{base}/email_body.txt", context),
        to=[challenge.email],
    )
    message.attach_alternative(render_to_string(f"{base}/email_body.html", context), "text/html")
    message.send()


@transaction.atomic
def contact_resubscribe_request(
    *,
    organisation,
    email: str,
    data_fields: dict | None,
    locale: str | None,
    return_url: str,
    provenance: Provenance,
) -> tuple[Customer, bool]:
    """Resubscribe with a challenge: (customer, challenged).

    A suppressed contact gets an email with a signed, expiring, single-use link and stays
    suppressed until it is confirmed (any reason, hard bounces and complaints included: the
    confirmation proves the mailbox works and its owner wants mail). A contact that is not
    suppressed gets its dataFields and no email. Unknown contact: Http404.
    """
    customer = selectors.contact_by_email_or_404(organisation=organisation, email=email)
    # Lock order (customers.locking): the customer, then the suppression list.
    customer = locking.lock_live_customer(customer)
    suppression = _locked_suppression(customer.organisation_id, customer.email_key)
    if suppression is None:
        customer_merge_data_fields(
            customer=customer, data_fields=data_fields or {}, provenance=provenance
        )
        return customer, False
    challenge = ResubscribeChallenge.objects.create(
        organisation_id=customer.organisation_id,
        customer=customer,
        email=customer.email_key,
        locale=challenge_language(locale or customer.locale),
        return_url=return_url or "",
        data_fields=data_fields or {},
        expires_at=timezone.now() + challenge_ttl(),
    )
    # robust: a mail server that is down is logged, it does not fail the committed request.
    transaction.on_commit(partial(send_challenge_email, challenge.pk), robust=True)
    return customer, True


@transaction.atomic
def contact_resubscribe_without_challenge(
    *, organisation, email: str, data_fields: dict | None, provenance: Provenance
) -> Customer:
    """Resubscribe at once and apply dataFields. Unknown contact: Http404.

    Raises ResubscribeRefused (and changes nothing) for a hard-bounced or complained address:
    those come back only through a confirmed challenge.
    """
    customer = selectors.contact_by_email_or_404(organisation=organisation, email=email)
    # Lock order (customers.locking): the customer, then the suppression list.
    customer = locking.lock_live_customer(customer)
    suppression = _locked_suppression(customer.organisation_id, customer.email_key)
    if suppression is not None and suppression.reason in Suppression.DELIVERY_REASONS:
        raise ResubscribeRefused(
            f"The address is suppressed as {suppression.reason}; it can only be resubscribed "
            "when its owner confirms a challenge (POST /v2/contacts/resubscribe)."
        )
    customer_merge_data_fields(
        customer=customer, data_fields=data_fields or {}, provenance=provenance
    )
    if suppression is not None:
        _unsuppress(suppression=suppression, customer_id=customer.pk, provenance=provenance)
    return customer


@transaction.atomic
def challenge_confirm(*, challenge_id, provenance: Provenance) -> ResubscribeChallenge:
    """The person clicked and confirmed: resubscribe the address, once.

    Raises ChallengeGone (changing nothing) when the link was used already or has expired.
    """
    challenge = ResubscribeChallenge.objects.filter(pk=challenge_id).first()
    if challenge is None:
        raise ChallengeNotFound()
    # Lock order (customers.locking): the customer, then what is theirs. Erasure deletes the
    # challenges of the customer it erases: a confirmation that waited for it finds none.
    try:
        locking.lock_live_customer(challenge.customer_id)
    except locking.CustomerErased as exc:
        raise ChallengeNotFound() from exc
    challenge = (
        ResubscribeChallenge.objects.select_for_update()
        .select_related("customer")
        .filter(pk=challenge_id)
        .first()
    )
    if challenge is None:
        raise ChallengeNotFound()
    state = challenge_state(challenge)
    if state != "pending":
        raise ChallengeGone(challenge, state)
    customer = challenge.customer
    suppression = _locked_suppression(challenge.organisation_id, challenge.email)
    if suppression is not None:
        _unsuppress(suppression=suppression, customer_id=customer.pk, provenance=provenance)
    customer_merge_data_fields(
        customer=customer, data_fields=challenge.data_fields or {}, provenance=provenance
    )
    challenge.confirmed_at = timezone.now()
    challenge.save(update_fields=["confirmed_at"])
    return challenge


@transaction.atomic
def suppressions_lift(*, entries: list[Suppression], provenance: Provenance) -> tuple[int, int]:
    """Resubscribe addresses at once (admin): (lifted, refused).

    The rule of resubscribe-with-no-challenge applies: hard-bounced and complained addresses
    are refused (they come back only through a confirmed challenge). Erased entries (hash only)
    are refused too: nobody can ask for them.
    """
    lifted = refused = 0
    for entry in entries:
        current = _locked_suppression_by_key(entry.organisation_id, entry.address_key)
        if current is None:
            continue
        if current.reason in Suppression.DELIVERY_REASONS or current.email is None:
            refused += 1
            continue
        customer = selectors.customers_by_email_key(
            organisation=entry.organisation_id, email_keys=[current.email]
        ).get(current.email)
        _unsuppress(
            suppression=current,
            customer_id=customer.pk if customer else None,
            provenance=provenance,
        )
        lifted += 1
    return lifted, refused


# Channel subscriptions (loyalty) ----------------------------------------------------------------
PROGRAMMES = {
    ChannelSubscription.Channel.EMAIL: ChannelSubscription.EMAIL_PROGRAMME,
    ChannelSubscription.Channel.SMS: ChannelSubscription.SMS_PROGRAMME,
}


@transaction.atomic
def channel_subscriptions_set(
    *, customer: Customer, statuses: dict[str, str], provenance: Provenance
) -> list[ChannelSubscription]:
    """Set OPT_IN/OPT_OUT per channel ("email" → LOYALTY, "sms" → default), all or nothing.

    The customer row is locked first, so concurrent requests for one customer apply in turn and
    each ledger event has the right old value. Unchanged channels write nothing. An erased
    customer (also by a concurrent erasure) is CustomerErased, a 404.
    """
    if not locking.lock_customers([customer.pk]):
        raise locking.CustomerErased("No customer matches the given query.")
    current = {
        (row.channel, row.programme): row.status
        for row in ChannelSubscription.objects.filter(customer_id=customer.pk)
    }
    rows, changes = [], []
    for channel, status in statuses.items():
        programme = PROGRAMMES[channel]
        old = current.get((channel, programme))
        if old == status:
            continue
        rows.append(
            ChannelSubscription(
                customer_id=customer.pk, channel=channel, programme=programme, status=status
            )
        )
        changes.append(
            Change(CHANNEL, f"{channel}:{programme}", old, status, customer_id=customer.pk)
        )
    if rows:
        ChannelSubscription.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["customer", "channel", "programme"],
            update_fields=["status", "updated_at"],
        )
        record_changes(
            organisation=customer.organisation_id, changes=changes, provenance=provenance
        )
    return rows


# Erasure ---------------------------------------------------------------------------------------
def erase_suppressions(customer: Customer, provenance: Provenance) -> None:
    """Eraser (customers.services.register_eraser): keep the hash, drop the address.

    Runs inside customer_erase's transaction, before the customer's email is blanked. Pending
    challenges hold the address and data fields, so they go.
    """
    if customer.email_key:
        Suppression.objects.filter(
            organisation_id=customer.organisation_id,
            address_key=address_key(customer.email_key),
        ).update(email=None)
    ResubscribeChallenge.objects.filter(customer_id=customer.pk).delete()
