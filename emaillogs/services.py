"""Every write of the emaillogs app."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from customers.ledger import Provenance
from customers.models import Customer
from customers.normalisation import normalise_email

from .models import EmailLog


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
