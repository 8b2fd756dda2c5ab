"""Email delivery logs of customers (seed 004, DESIGN §3)."""

import secrets

from django.db import models

from customers.models import Customer, Organisation
from customers.tenancy import OrganisationQuerySet


def new_log_id() -> str:
    """A public log id in the seed's shape, e.g. `log_asdf1234qwerty`."""
    return f"log_{secrets.token_hex(8)}"


def new_log_ids(count: int) -> list[str]:
    """`count` public log ids as new_log_id makes them, from one read of the random source."""
    random = secrets.token_hex(8 * count)
    return ["log_" + random[start : start + 16] for start in range(0, 16 * count, 16)]


class EmailLog(models.Model):
    """One email sent to (or scheduled for) a customer and its latest delivery status."""

    id = models.BigAutoField(primary_key=True)
    # Covered by emaillog_org_public_id_unique, which leads with the organisation.
    # Both checked once per statement, not per row (customers.references).
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="email_logs",
        db_index=False,
        db_constraint=False,
    )
    # Covered by emaillog_customer_created_idx.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="email_logs",
        db_index=False,
        db_constraint=False,
    )
    public_id = models.CharField(max_length=64, default=new_log_id)
    created = models.DateTimeField()
    # Blanked when the customer is erased (DESIGN §7): the log stays, the address goes.
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_address = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=32, blank=True)
    message = models.CharField(max_length=1000, blank=True)
    email_id = models.CharField(max_length=64, blank=True)
    email_name = models.CharField(max_length=200, blank=True)
    email_version = models.CharField(max_length=200, blank=True)
    # The sending provider's message id and the delivery event of this log (POST
    # /consent/v1/email-events and …/sendgrid): together they make a replayed event a no-op.
    message_id = models.CharField(max_length=255, blank=True)
    event = models.CharField(max_length=32, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            # import_email_logs re-runs update by public id instead of duplicating; it also serves
            # GET /logs/{id} (and /api/v1/logs/{id}).
            models.UniqueConstraint(
                fields=["organisation", "public_id"], name="emaillog_org_public_id_unique"
            ),
            # POST /consent/v1/email-events[/sendgrid]: an event delivered twice (same message
            # id and event) is logged once, whoever wins a concurrent race. Also serves the
            # set-based "seen before?" lookup of a batch.
            models.UniqueConstraint(
                fields=["organisation", "message_id", "event"],
                name="emaillog_event_unique",
                condition=~models.Q(message_id=""),
            ),
        ]
        indexes = [
            # GET /customers/{email}/logs?created_lt=&created_gt=: one customer's logs between
            # two times, newest first (and the customer admin page's recent-logs inline).
            models.Index(
                fields=["customer", "-created", "-id"], name="emaillog_customer_created_idx"
            ),
            # The admin's log list for one organisation, newest first, by date.
            models.Index(fields=["organisation", "-created"], name="emaillog_org_created_idx"),
            # The admin's search by recipient address (exact, case-insensitive via lower()).
            models.Index(
                fields=["organisation", "recipient_address"], name="emaillog_org_address_idx"
            ),
        ]

    def __str__(self):
        return f"{self.public_id} {self.email_name} ({self.status})"
