"""The one locking idiom of the project: row locks, taken here and nowhere else.

Every writer that must not race another says which rows it is about to change or depend on, and
this module locks them with the weakest PostgreSQL row lock that does the job, always in primary
key order. `docs/locking.md` explains the choice and the lock order rule; in short:

- `lock_customers` / `lock_live_customer`: FOR NO KEY UPDATE on customer rows. Every consent
  write of a customer (opt-ins, channel subscriptions, data fields, erasure) takes it first, so
  writes of one customer apply one after the other, and the lock re-reads `erased_at`: a write
  that waited for an erasure finds the customer gone (a 404), never a tombstone to write on.
  NO KEY UPDATE, not UPDATE: it does not conflict with the KEY SHARE lock that inserting a row
  referencing the customer takes (a ledger event, an opt-in), so it cannot deadlock with them.
- `lock_referenced_ids`: FOR KEY SHARE on rows a write will reference (the preferences an
  opt-in names). Many writers hold it at once; it only conflicts with a delete of those rows.
- `lock_for_delete`: FOR UPDATE on rows about to be deleted: waits for every writer that holds
  KEY SHARE on them, and makes later ones wait, then find the rows gone.
- `lock_organisation`: FOR NO KEY UPDATE on the organisation row, for edits that must be serial
  within a tenant (the preference tree). It leaves the KEY SHARE locks of every other write of
  the tenant alone (a FOR UPDATE here would block them all).
- `lock_address_list`: the one lock without a row to lock: a new suppression list entry does not
  exist before it is written, so a transaction-scoped advisory lock keyed by (list, organisation)
  serialises the list's writers.

Lock order: organisation, then rows to delete or reference (preferences), then customers
(ascending id), then what belongs to a customer (suppression list entries, opt-out statuses).
A transaction never asks for a lock of an earlier kind after a later one.

The locks by primary key (`lock_customers`, `lock_referenced_ids`) are one fixed statement each,
written here without building a query: they run on every opt-in request.

On SQLite every lock is a plain read: `transaction_mode = IMMEDIATE` (config/settings.py) makes
each transaction take the database's one write lock when it begins, so writers are serial anyway,
and the read still re-checks what the lock would (the customer is not erased, the row exists).
"""

from django.db import connections, transaction
from django.db.models import QuerySet

from .models import Customer, Organisation, live_customer
from .rows import any_of
from .tenancy import OutsideOrganisation

FOR_NO_KEY_UPDATE = "FOR NO KEY UPDATE"
FOR_KEY_SHARE = "FOR KEY SHARE"
FOR_UPDATE = "FOR UPDATE"

# Advisory lock namespaces (the first key of pg_advisory_xact_lock(int, int)).
ADDRESS_LIST = 5_051_001  # the suppression list of one organisation


class CustomerErased(OutsideOrganisation):
    """The customer was erased (or is not one of this organisation): nothing may be written.

    An Http404, so every API dialect answers its own 404.
    """


def _locked_pks(queryset: QuerySet, clause: str) -> list:
    """Lock the rows of `queryset` with `clause`, in primary key order; their primary keys."""
    queryset = queryset.order_by("pk").values_list("pk", flat=True)
    connection = connections[queryset.db]
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("Locks are taken inside a transaction.")
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} {clause}", params)
        return [row[0] for row in cursor.fetchall()]


def _locked_ids(model, ids, clause: str, *, organisation=None, condition: str = "") -> list:
    """`_locked_pks` for rows named by primary key, as one fixed statement: the hot write paths
    (an opt-in request) skip building and compiling a query."""
    connection = connections[model.objects.db]
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("Locks are taken inside a transaction.")
    ids = list(ids)
    if not ids:
        return []
    pk = model._meta.pk.column
    condition_on_ids, params = any_of(pk, ids)
    where = [condition_on_ids]
    lock = f" {clause}" if connection.vendor == "postgresql" else ""
    if organisation is not None:
        where.append("organisation_id = %s")
        params = [*params, getattr(organisation, "pk", organisation)]
    if condition:
        where.append(condition)
    sql = f"SELECT {pk} FROM {model._meta.db_table} WHERE {' AND '.join(where)} ORDER BY {pk}"
    with connection.cursor() as cursor:
        cursor.execute(sql + lock, params)
        return [row[0] for row in cursor.fetchall()]


def lock_customers(ids, *, organisation=None) -> set[int]:
    """Lock these customers for a consent write; the ids that are live (not erased).

    With `organisation`, customers of other organisations are left out too.
    """
    live = "erased_at IS NULL"
    return set(
        _locked_ids(Customer, ids, FOR_NO_KEY_UPDATE, organisation=organisation, condition=live)
    )


def lock_live_customer(customer: Customer | int) -> Customer:
    """Lock one customer and return its row as committed now; CustomerErased if it is erased."""
    pk = getattr(customer, "pk", customer)
    locked = Customer.objects.select_for_update(no_key=True).filter(live_customer(), pk=pk).first()
    if locked is None:
        raise CustomerErased("No customer matches the given query.")
    return locked


def lock_referenced_ids(model, ids, *, organisation, condition: str = "") -> list:
    """KEY SHARE on the rows of `model` with these primary keys in `organisation` (and meeting
    the fixed SQL `condition`); the primary keys of those that exist."""
    return _locked_ids(model, ids, FOR_KEY_SHARE, organisation=organisation, condition=condition)


def lock_for_delete(queryset: QuerySet) -> list:
    """Exclusive locks on rows about to be deleted; the primary keys of those that exist."""
    return _locked_pks(queryset, FOR_UPDATE)


def lock_organisation(organisation) -> None:
    """Serialise one kind of tenant-wide edit (the preference tree), not the other writes."""
    pk = getattr(organisation, "pk", organisation)
    _locked_pks(Organisation.objects.filter(pk=pk), FOR_NO_KEY_UPDATE)


def lock_address_list(organisation_id: int) -> None:
    """Serialise writers of one organisation's suppression list (entries may not exist yet)."""
    connection = connections[Customer.objects.db]
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("Locks are taken inside a transaction.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [ADDRESS_LIST, organisation_id % 2_147_483_647],
            )
