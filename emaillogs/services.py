"""Every write of the emaillogs app."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction

from customers.ledger import Provenance
from customers.lookups import array_literal
from customers.models import Customer
from customers.normalisation import normalise_email

from .models import EmailLog, new_log_ids


def email_logs_erase_of(customer: Customer, provenance: Provenance) -> int:
    """Erasure hook (customers.services.register_eraser): the customer's logs lose who they went to.

    Runs inside customer_erase's transaction. The logs stay (status, email, time) for delivery
    statistics; recipient address and name go.
    """
    return EmailLog.objects.filter(customer=customer).update(
        recipient_address="", recipient_name=""
    )


@dataclass
class LogRow:
    """One email log of an import, validated; `email` is its customer's."""

    email: str
    public_id: str
    created: datetime
    values: dict = field(default_factory=dict)


LOG_FIELDS = (
    "recipient_name",
    "recipient_address",
    "status",
    "message",
    "email_id",
    "email_name",
    "email_version",
)


@transaction.atomic
def email_logs_import_rows(*, organisation, rows: list[LogRow]) -> tuple[Counter, list]:
    """Create or update logs by public id, set-based; returns counts and (row, reason) rejects.

    Rows must have distinct public ids. A row whose customer (by email, any case) does not
    exist in the organisation, or is erased, is rejected. Logs are not consent state: no ledger.
    """
    counts: Counter = Counter()
    rejected = []
    customers = {
        c.email_key: c.pk
        for c in Customer.objects.for_organisation(organisation)
        .live()
        .filter(email_key__in={normalise_email(r.email) for r in rows})
        .only("pk", "email_key")
    }
    existing = {
        log.public_id: log
        for log in EmailLog.objects.for_organisation(organisation).filter(
            public_id__in=[r.public_id for r in rows]
        )
    }
    writes = []
    for row in rows:
        customer_id = customers.get(normalise_email(row.email))
        if customer_id is None:
            rejected.append((row, "email: no customer with this email in the organisation."))
            continue
        values = {"customer_id": customer_id, "created": row.created, **row.values}
        old = existing.get(row.public_id)
        if old is not None and all(getattr(old, k) == v for k, v in values.items()):
            counts["unchanged"] += 1
            continue
        counts["updated" if old is not None else "created"] += 1
        writes.append(EmailLog(organisation=organisation, public_id=row.public_id, **values))
    # update_conflicts: a re-run (or a concurrent import) updates logs instead of duplicating.
    EmailLog.objects.bulk_create(
        writes,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["organisation", "public_id"],
        update_fields=["customer", "created", *LOG_FIELDS],
    )
    return counts, rejected


# Delivery events ------------------------------------------------------------------------------
class DeliveryEvent(NamedTuple):
    """One delivery event of a sending provider, validated; `email` normalised.

    Immutable; a named tuple rather than a frozen dataclass, which costs three times as much to
    make (10,000 per request)."""

    email: str
    event: str
    created: datetime
    message_id: str = ""
    recipient_name: str = ""
    message: str = ""
    email_id: str = ""
    email_name: str = ""
    email_version: str = ""


@dataclass
class DeliveryEventsLogged:
    logged: int = 0
    duplicates: int = 0
    unknown_addresses: int = 0
    # The events seen for the first time (replays and repeats within the batch left out), in
    # order, whether or not their address has a customer: what the caller may act on.
    fresh: list = field(default_factory=list)


@transaction.atomic
def delivery_events_log(*, organisation, events: list[DeliveryEvent]) -> DeliveryEventsLogged:
    """Log each event as an email log of the customer with its address, set-based.

    An event with a message id that was logged before with the same event name (or repeats
    earlier in the batch) is a duplicate and writes nothing (emaillog_event_unique makes that
    hold under concurrency too). An address without a (not erased) customer is counted, not
    logged: a log belongs to a customer. Logs are not consent state: no ledger.
    Queries, whatever the number of events: customers, logs seen before, one insert.
    """
    organisation_id = getattr(organisation, "pk", organisation)
    result = DeliveryEventsLogged()
    customers = dict(
        Customer.objects.live()
        .filter(
            organisation_id=organisation_id,
            email_key__in_array={event.email for event in events},
        )
        .values_list("email_key", "id")
    )
    message_ids = {event.message_id for event in events if event.message_id}
    seen = set()
    if message_ids:
        seen = set(
            EmailLog.objects.filter(
                organisation_id=organisation_id, message_id__in_array=message_ids
            ).values_list("message_id", "event")
        )
    # (customer id, event) of each log to write: the rows go to the database as column arrays,
    # built straight from the events (no model instance per log).
    writes = []
    for event in events:
        if event.message_id:
            pair = (event.message_id, event.event)
            if pair in seen:
                result.duplicates += 1
                continue
            seen.add(pair)
        result.fresh.append(event)
        customer_id = customers.get(event.email)
        if customer_id is None:
            result.unknown_addresses += 1
            continue
        writes.append((customer_id, event))
    result.logged = len(writes)
    _insert_logs_ignoring_replays(organisation_id, writes)
    return result


_LOG_COLUMNS = (
    "customer_id",
    "public_id",
    "created",
    "recipient_name",
    "recipient_address",
    "status",
    "message",
    "email_id",
    "email_name",
    "email_version",
    "message_id",
    "event",
)
_LOG_TYPES = (
    "bigint",
    "varchar",
    "timestamptz",
    *["varchar"] * 9,
)


def _insert_logs_ignoring_replays(organisation_id: int, writes: list) -> None:
    """One INSERT of the (customer id, event) logs; a concurrent replay's row wins quietly.

    On PostgreSQL the rows travel as one array literal per column (unnest), built from the
    events directly: a model instance per log, or psycopg quoting 130,000 values one by one,
    costs more than the database's work. Elsewhere the ORM's bulk_create.
    """
    if not writes:
        return
    public_ids = new_log_ids(len(writes))
    events = [event for _, event in writes]
    columns = {
        "customer_id": [customer_id for customer_id, _ in writes],
        "public_id": public_ids,
        "created": [event.created for event in events],
        "recipient_name": [event.recipient_name for event in events],
        "recipient_address": [event.email for event in events],
        "status": [event.event for event in events],
        "message": [event.message for event in events],
        "email_id": [event.email_id for event in events],
        "email_name": [event.email_name for event in events],
        "email_version": [event.email_version for event in events],
        "message_id": [event.message_id for event in events],
        "event": [event.event for event in events],
    }
    if connection.vendor != "postgresql":
        EmailLog.objects.bulk_create(
            [
                EmailLog(organisation_id=organisation_id, **dict(zip(columns, row, strict=True)))
                for row in zip(*columns.values(), strict=True)
            ],
            ignore_conflicts=True,
        )
        return
    arrays = ", ".join(f"%s::{db_type}[]" for db_type in _LOG_TYPES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {EmailLog._meta.db_table} "  # our names
            f"(organisation_id, {', '.join(_LOG_COLUMNS)}) "
            f"SELECT %s, * FROM unnest({arrays}) ON CONFLICT DO NOTHING",
            [organisation_id, *(array_literal(columns[column]) for column in _LOG_COLUMNS)],
        )
