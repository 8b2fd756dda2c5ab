"""Every write of the preferences app: one function per use case, transactional.

Opt-in state changes, from every dialect, the admin and imports, go through
`preference_opt_ins_apply` (or its one-customer form `preference_opt_ins_set`, or its import form
`preference_opt_ins_import`, one statement per batch on PostgreSQL), which writes the consent
ledger (rule R4). Tree edits (create, update, delete) keep `order` contiguous among
siblings.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from customers import locking
from customers.ledger import Change, Provenance, record_changes, record_changes_from_sql
from customers.locking import CustomerErased
from customers.lookups import array_literal
from customers.models import Customer, Organisation
from customers.services import customer_create_or_update
from customers.tenancy import OutsideOrganisation, require_in_organisation

from . import selectors
from .models import Preference, PreferenceOptIn

OPT_IN_KIND = "preference.opt_in"

TOP = "top"
BOTTOM = "bottom"
# An order is an index among siblings, or one of TOP / BOTTOM.
Order = int | str | None


class PreferenceTreeError(ValueError):
    """An edit that would break the tree (a category inside a category, say)."""


class PreferenceNotFound(OutsideOrganisation):
    """A preference that is not (or no longer) a preference of the customer's organisation."""


@dataclass(frozen=True)
class OptInItem:
    """One wanted state: `customer_id` opted in (or out) of `preference_id`."""

    customer_id: int
    preference_id: int
    opted_in: bool
    # When the state was set (imports carry it); None means now.
    modified_at: datetime | None = None


@dataclass
class OptInResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)
    # (customer id, preference id) -> (opted in, modified at) as stored when the call returns,
    # so a caller can answer with the state without reading it back.
    states: dict[tuple[int, int], tuple[bool, datetime | None]] = field(default_factory=dict)


def preference_opt_ins_set(
    *, customer: Customer, states: dict[int, bool], provenance: Provenance
) -> OptInResult:
    """Set one customer's opt-in state for the given preferences ({preference id: opted in}).

    Raises CustomerErased (a 404) when the customer is erased, also by a concurrent erasure, and
    PreferenceNotFound (a 404) for a preference that is not one of the customer's organisation's.
    Atomic through preference_opt_ins_apply (a second atomic here would only add a savepoint's
    two round trips to every opt-in request).
    """
    return preference_opt_ins_apply(
        organisation=customer.organisation_id,
        items=[
            OptInItem(customer_id=customer.pk, preference_id=pk, opted_in=state)
            for pk, state in states.items()
        ],
        provenance=provenance,
        skip_erased=False,
    )


@transaction.atomic
def preference_opt_ins_apply(
    *,
    organisation,
    items: Iterable[OptInItem],
    provenance: Provenance,
    skip_stale: bool = False,
    skip_erased: bool = True,
) -> OptInResult:
    """Apply wanted opt-in states set-based; one ledger event per effective change.

    A missing row counts as opted out, so opting out a customer who never opted in writes
    nothing. Locks (customers.locking): KEY SHARE on the preferences, so a concurrent
    `preference_delete` waits for this write (and then records its opt-out) or this write waits
    for the delete (and then finds the preference gone); then the customers' rows, so writes of
    one customer, and its erasure, apply one after the other. The write itself is an ON CONFLICT
    upsert on the (customer, preference) unique constraint, so no race can produce two rows.

    Every preference and customer must belong to `organisation` (PreferenceNotFound, or
    CustomerErased, otherwise: 404s). Items of customers erased meanwhile are left out
    (`skip_erased`, imports) or refuse the call (CustomerErased).
    With `skip_stale`, an item older than the stored state's modified time is left out
    (imports re-run with older data must not undo newer changes).
    """
    wanted: dict[tuple[int, int], OptInItem] = {}
    for item in items:
        wanted[(item.customer_id, item.preference_id)] = item  # the last word wins
    result = OptInResult()
    if not wanted:
        return result
    wanted, customer_ids, preference_ids = _lock_opt_ins(organisation, wanted, skip_erased)
    current = {
        (row.customer_id, row.preference_id): row
        for row in selectors.opt_in_rows(customer_ids=customer_ids, preference_ids=preference_ids)
    }
    now = timezone.now()
    writes = []
    for key, item in wanted.items():
        row = current.get(key)
        old = row.opted_in if row is not None else False
        stale = (
            skip_stale
            and row is not None
            and item.modified_at is not None
            and item.modified_at < row.modified_at
        )
        if old == item.opted_in or stale:
            result.unchanged += 1
            result.states[key] = (old, row.modified_at if row is not None else None)
            continue
        result.states[key] = (item.opted_in, item.modified_at or now)
        if row is None:
            result.created += 1
        else:
            result.updated += 1
        writes.append(
            PreferenceOptIn(
                customer_id=item.customer_id,
                preference_id=item.preference_id,
                opted_in=item.opted_in,
                modified_at=item.modified_at or now,
            )
        )
        result.changes.append(
            Change(
                kind=OPT_IN_KIND,
                target=str(item.preference_id),
                old=old,
                new=item.opted_in,
                customer_id=item.customer_id,
            )
        )
    if writes:
        _upsert_opt_ins(writes)
        record_changes(
            organisation=organisation,
            changes=result.changes,
            provenance=provenance,
            occurred_at=now,
        )
    return result


def _lock_opt_ins(organisation, wanted: dict, skip_erased: bool) -> tuple[dict, list, set]:
    """Lock what the wanted states reference (see preference_opt_ins_apply); the wanted states
    of live customers, their customer ids (sorted) and the preference ids."""
    customer_ids = sorted({customer_id for customer_id, _ in wanted})
    preference_ids = {preference_id for _, preference_id in wanted}
    found = locking.lock_referenced_ids(
        Preference, preference_ids, organisation=organisation, condition="is_preference"
    )
    if len(found) != len(preference_ids):
        missing = sorted(preference_ids - set(found))
        raise PreferenceNotFound(f"No preference {missing[0]} in this organisation.")
    live = locking.lock_customers(customer_ids, organisation=organisation)
    if len(live) != len(customer_ids):
        missing = set(customer_ids) - live
        foreign = Customer.objects.filter(pk__in=missing).exclude(organisation=organisation)
        if not skip_erased or foreign.exists():
            raise CustomerErased("No customer matches the given query.")
        wanted = {key: item for key, item in wanted.items() if key[0] in live}
        customer_ids = sorted(live)
    return wanted, customer_ids, preference_ids


# preference_opt_ins_apply's comparison, write and ledger events for an import batch as one
# statement: the wanted states that differ from the stored ones (no row: opted out) and are not
# older than them, upserted in index order, one "preference.opt_in" event each. The stored
# states are read after the customers' locks, as in preference_opt_ins_apply.
_IMPORT_CTES = f"""
wanted AS (
    SELECT w.customer_id, w.preference_id, w.opted_in,
           COALESCE(w.modified_at, %(now)s) AS modified_at,
           o.stored IS NOT NULL AS stored, COALESCE(o.opted_in, false) AS old
    FROM unnest(%(customers)s::bigint[], %(preferences)s::bigint[], %(opted_in)s::boolean[],
                %(modified)s::timestamptz[]) AS w(customer_id, preference_id, opted_in, modified_at)
    -- LATERAL … LIMIT 1 keeps this an index lookup per item: during a long import the table's
    -- statistics lag far behind its size, and a hash join over the whole table per batch would
    -- make the import quadratic.
    LEFT JOIN LATERAL (
        SELECT true AS stored, opted_in, modified_at FROM {PreferenceOptIn._meta.db_table}
        WHERE customer_id = w.customer_id AND preference_id = w.preference_id
        LIMIT 1
    ) o ON true
    WHERE COALESCE(o.opted_in, false) <> w.opted_in
      AND (o.stored IS NULL OR w.modified_at IS NULL OR w.modified_at >= o.modified_at)
),
up AS (
    INSERT INTO {PreferenceOptIn._meta.db_table} (customer_id, preference_id, opted_in, modified_at)
    SELECT customer_id, preference_id, opted_in, modified_at FROM wanted
    ORDER BY customer_id, preference_id
    ON CONFLICT (customer_id, preference_id) DO UPDATE
    SET opted_in = EXCLUDED.opted_in, modified_at = EXCLUDED.modified_at
)
"""
_IMPORT_CHANGES = (
    f"SELECT customer_id, '', '{OPT_IN_KIND}', preference_id::text, to_jsonb(old), "
    "to_jsonb(opted_in) FROM wanted ORDER BY customer_id, preference_id"
)
_IMPORT_COUNTS = (
    "SELECT count(*) FILTER (WHERE NOT stored), count(*) FILTER (WHERE stored) FROM wanted"
)


def preference_opt_ins_import(
    *, organisation, items: Iterable[OptInItem], provenance: Provenance
) -> tuple[int, int]:
    """preference_opt_ins_apply(skip_stale=True) for imports: the same locks, rules and ledger
    events; returns (created, updated). On PostgreSQL the states are compared, written and
    recorded in one statement, so no stored row travels through Python (at a million rows the
    model instances, the read-back and the per-row ledger values were most of an import's CPU).
    """
    if connection.vendor != "postgresql":
        result = preference_opt_ins_apply(
            organisation=organisation, items=items, provenance=provenance, skip_stale=True
        )
        return result.created, result.updated
    with transaction.atomic():  # here, not on the function: the call above has its own
        return _import_opt_ins(organisation, items, provenance)


def _import_opt_ins(organisation, items, provenance) -> tuple[int, int]:
    wanted: dict[tuple[int, int], OptInItem] = {}
    for item in items:
        wanted[(item.customer_id, item.preference_id)] = item  # the last word wins
    if not wanted:
        return 0, 0
    wanted, _, _ = _lock_opt_ins(organisation, wanted, skip_erased=True)
    if not wanted:
        return 0, 0
    rows = wanted.values()
    now = timezone.now()
    with connection.cursor() as cursor:
        # For this transaction only, as customers.bulk_postgres does for import_customers: JIT
        # would compile the statement anew for every batch (its estimated cost is high, its run
        # time short), and a re-run of an import is idempotent, so a batch's commit need not
        # wait for the WAL flush.
        cursor.execute("SET LOCAL jit = off; SET LOCAL synchronous_commit = off")
    [(created, updated)] = record_changes_from_sql(
        organisation=organisation,
        provenance=provenance,
        ctes=_IMPORT_CTES,
        changes=_IMPORT_CHANGES,
        result=_IMPORT_COUNTS,
        params={
            # One text each (customers.lookups.array_literal): quoting 5,000 values one by one
            # in Python costs more than the statement.
            "customers": array_literal([item.customer_id for item in rows]),
            "preferences": array_literal([item.preference_id for item in rows]),
            "opted_in": array_literal(["t" if item.opted_in else "f" for item in rows]),
            "modified": array_literal([item.modified_at for item in rows]),
            "now": now,
        },
        occurred_at=now,
    )
    return created, updated


_UPSERT = (
    f"INSERT INTO {PreferenceOptIn._meta.db_table} "
    "(customer_id, preference_id, opted_in, modified_at) {rows} "
    "ON CONFLICT (customer_id, preference_id) DO UPDATE "
    "SET opted_in = EXCLUDED.opted_in, modified_at = EXCLUDED.modified_at"
)


def _upsert_opt_ins(writes: list[PreferenceOptIn]) -> None:
    """Insert or update the rows on the (customer, preference) unique constraint, one fixed
    statement (PostgreSQL: the columns as arrays; SQLite: one row per execution)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _UPSERT.format(
                    rows="SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::boolean[], "
                    "%s::timestamptz[])"
                ),
                [
                    [row.customer_id for row in writes],
                    [row.preference_id for row in writes],
                    [row.opted_in for row in writes],
                    [row.modified_at for row in writes],
                ],
            )
        else:
            modified_at = PreferenceOptIn._meta.get_field("modified_at")
            cursor.executemany(
                _UPSERT.format(rows="VALUES (%s, %s, %s, %s)"),
                [
                    (
                        row.customer_id,
                        row.preference_id,
                        row.opted_in,
                        modified_at.get_db_prep_save(row.modified_at, connection),
                    )
                    for row in writes
                ],
            )


@transaction.atomic
def contact_save_with_consent_and_preferences(
    *,
    organisation: Organisation,
    email: str,
    states: dict[int, bool],
    provenance: Provenance,
    consent: list[dict] | None = None,
    opt_in_type: str | None = None,
    email_type: str | None = None,
    data_fields: dict | None = None,
) -> tuple[Customer, bool]:
    """A contact created or updated by email, with preference opt-ins, in one transaction.

    `consent` (the client's consent records) is kept on every ledger event the call writes, so
    the ledger can prove what the contact agreed to. Returns (customer, created).
    """
    provenance = replace(provenance, consent=consent or None)
    customer, created = customer_create_or_update(
        organisation=organisation,
        email=email,
        opt_in_type=opt_in_type,
        email_type=email_type,
        data_fields=data_fields,
        provenance=provenance,
    )
    if states:
        preference_opt_ins_set(customer=customer, states=states, provenance=provenance)
    return customer, created


# The preference tree ---------------------------------------------------------------------------
def _lock_tree(organisation: Organisation) -> None:
    """Serialise tree edits of one organisation, so sibling orders stay contiguous.

    A NO KEY UPDATE row lock (customers.locking): opt-ins and ledger events of the organisation,
    which take KEY SHARE locks on its row, go on meanwhile.
    """
    locking.lock_organisation(organisation)


def _siblings(organisation, category_id, exclude_pk=None) -> list[Preference]:
    siblings = Preference.objects.for_organisation(organisation).filter(category_id=category_id)
    if exclude_pk is not None:
        siblings = siblings.exclude(pk=exclude_pk)
    return list(siblings.order_by("order", "id"))


def _position(order: Order, count: int) -> int:
    if order is None or order == BOTTOM:
        return count
    if order == TOP:
        return 0
    return max(0, min(int(order), count))


def _renumber(rows: list[Preference], now) -> None:
    """Give rows the orders 0..n-1 in list order; touch only those that move."""
    moved = []
    for index, row in enumerate(rows):
        if row.order != index:
            row.order = index
            row.last_modified = now
            moved.append(row)
    if moved:
        Preference.objects.bulk_update(moved, ["order", "last_modified"])


def _touch(category_id, now) -> None:
    # A category's preferenceCount changed: modified-since lists it again.
    if category_id is not None:
        Preference.objects.filter(pk=category_id).update(last_modified=now)


def _check_category(organisation, *, is_preference: bool, category: Preference | None):
    if category is None:
        return
    require_in_organisation(organisation, category)
    if not is_preference:
        raise PreferenceTreeError("A category cannot be placed inside another category.")
    if category.is_preference:
        raise PreferenceTreeError(f"{category.pk} is not a preference category.")


@transaction.atomic
def preference_create(
    *,
    organisation: Organisation,
    public_name: str,
    private_name: str,
    is_preference: bool,
    is_public: bool = True,
    category: Preference | None = None,
    order: Order = None,
) -> Preference:
    """Create a preference or a category at `order` among its siblings (default: last)."""
    _lock_tree(organisation)
    _check_category(organisation, is_preference=is_preference, category=category)
    category_id = category.pk if category else None
    siblings = _siblings(organisation, category_id)
    preference = Preference(
        organisation=organisation,
        public_name=public_name,
        private_name=private_name,
        is_preference=is_preference,
        is_public=is_public,
        category=category,
        order=len(siblings),
    )
    preference.full_clean()
    preference.save()
    now = preference.last_modified
    siblings.insert(_position(order, len(siblings)), preference)
    _renumber(siblings, now)
    _touch(category_id, now)
    return preference


_UNSET = object()


@transaction.atomic
def preference_update(
    *,
    preference: Preference,
    public_name: str | None = None,
    private_name: str | None = None,
    is_public: bool | None = None,
    category=_UNSET,
    order: Order = None,
) -> Preference:
    """Update names, visibility, category and position; siblings are renumbered.

    `category` left out keeps the current one; None moves a preference to the top level.
    `order` None keeps the position (or, when the category changes, places it last).
    """
    organisation = preference.organisation
    _lock_tree(organisation)
    preference = Preference.objects.get(pk=preference.pk)
    old_category_id = preference.category_id
    if category is not _UNSET:
        _check_category(organisation, is_preference=preference.is_preference, category=category)
        preference.category = category
    new_category_id = preference.category_id
    if public_name is not None:
        preference.public_name = public_name
    if private_name is not None:
        preference.private_name = private_name
    if is_public is not None:
        preference.is_public = is_public
    preference.full_clean()
    preference.save()
    now = preference.last_modified
    siblings = _siblings(organisation, new_category_id, exclude_pk=preference.pk)
    if order is None and new_category_id == old_category_id:
        # Keep its place among the others.
        position = sum(1 for s in siblings if (s.order, s.pk) < (preference.order, preference.pk))
    else:
        position = _position(order, len(siblings))
    siblings.insert(position, preference)
    preference.order = -1  # forces _renumber to write it
    _renumber(siblings, now)
    if new_category_id != old_category_id:
        _renumber(_siblings(organisation, old_category_id), now)
        _touch(old_category_id, now)
        _touch(new_category_id, now)
    return preference


@transaction.atomic
def preference_delete(*, preference: Preference, provenance: Provenance) -> None:
    """Delete a preference, or a category with its preferences, and their opt-in states.

    Customers who were opted in lose that state: each gets a ledger event (true → false), so
    the ledger still tells why they are no longer opted in.
    """
    organisation = preference.organisation
    _lock_tree(organisation)
    category_id = preference.category_id
    # Waits for opt-in writers holding KEY SHARE on these rows and makes later ones wait (they
    # then find the preference gone): every opt-in the cascade removes is read below.
    doomed = locking.lock_for_delete(
        Preference.objects.filter(Q(pk=preference.pk) | Q(category_id=preference.pk))
    )
    opted_in = PreferenceOptIn.objects.filter(preference_id__in=doomed, opted_in=True).values_list(
        "customer_id", "preference_id"
    )
    now = timezone.now()
    batch: list[Change] = []
    for customer_id, preference_id in opted_in.iterator(chunk_size=5000):
        batch.append(Change(OPT_IN_KIND, str(preference_id), True, False, customer_id))
        if len(batch) == 5000:
            record_changes(
                organisation=organisation, changes=batch, provenance=provenance, occurred_at=now
            )
            batch = []
    record_changes(organisation=organisation, changes=batch, provenance=provenance, occurred_at=now)
    Preference.objects.filter(pk=preference.pk).delete()
    _renumber(_siblings(organisation, category_id), now)
    _touch(category_id, now)


# Imports ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportedPreference:
    """One row of `import_preferences`; `id` None lets the database choose."""

    id: int | None
    public_name: str
    private_name: str
    is_preference: bool
    category_id: int | None
    order: int | None
    is_public: bool


def _reset_id_sequence() -> None:
    """After inserts with explicit ids, PostgreSQL's id sequence must move past them."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Preference]):
            cursor.execute(sql)


@transaction.atomic
def preferences_import(
    *, organisation: Organisation, rows: list[ImportedPreference]
) -> tuple[Counter, list[tuple[ImportedPreference, str]]]:
    """Create or update categories and preferences by id; returns (counts, rejected rows).

    Categories are written before preferences, so a file may define a category and fill it.
    Sibling orders are made contiguous again afterwards (ties keep id order).
    """
    _lock_tree(organisation)
    counts: Counter = Counter(created=0, updated=0, unchanged=0)
    rejected: list[tuple[ImportedPreference, str]] = []
    ids = [row.id for row in rows if row.id is not None]
    existing = {p.pk: p for p in Preference.objects.filter(pk__in=ids)}
    referenced = {row.category_id for row in rows if row.category_id}
    categories = set(
        Preference.objects.for_organisation(organisation)
        .filter(pk__in=referenced, is_preference=False)
        .values_list("pk", flat=True)
    )
    categories |= {row.id for row in rows if row.id is not None and not row.is_preference}
    groups: set[int | None] = set()
    explicit_ids = False
    now = timezone.now()
    for row in sorted(rows, key=lambda r: r.is_preference):  # categories first
        current = existing.get(row.id) if row.id is not None else None
        reason = None
        if current is not None and current.organisation_id != organisation.pk:
            reason = f"id {row.id} belongs to another organisation."
        elif current is not None and current.is_preference != row.is_preference:
            reason = f"id {row.id}: a preference cannot become a category or the other way."
        elif row.category_id and not row.is_preference:
            reason = "category_id: a category cannot be inside another category."
        elif row.category_id and row.category_id not in categories:
            reason = f"category_id: no category {row.category_id} in this organisation."
        if reason:
            rejected.append((row, reason))
            continue
        wanted = {
            "public_name": row.public_name,
            "private_name": row.private_name,
            "is_public": row.is_public,
            "category_id": row.category_id or None,
        }
        if row.order is not None:
            wanted["order"] = row.order
        if current is None:
            preference = Preference(
                organisation=organisation,
                is_preference=row.is_preference,
                order=row.order if row.order is not None else 2**31 - 1,  # last
                **{k: v for k, v in wanted.items() if k != "order"},
            )
            if row.id is not None:
                preference.pk = row.id
                explicit_ids = True
            preference.save()
            existing[preference.pk] = preference
            counts["created"] += 1
            groups.add(preference.category_id)
            continue
        changed = {k: v for k, v in wanted.items() if getattr(current, k) != v}
        if not changed:
            counts["unchanged"] += 1
            continue
        groups |= {current.category_id, wanted["category_id"]}
        for key, value in changed.items():
            setattr(current, key, value)
        current.save()
        counts["updated"] += 1
    if explicit_ids:
        _reset_id_sequence()
    for category_id in groups:
        _renumber(_siblings(organisation, category_id), now)
    return counts, rejected
