"""Reads of email logs shared by the API, the admin and commands."""

from datetime import UTC, datetime

from django.http import Http404

from customers.models import live_customer
from customers.tenancy import get_in_organisation_or_404

from .models import EmailLog

# Unix seconds of 9999-12-31T23:59:59Z, the last second a datetime can hold.
MAX_UNIX_SECONDS = 253402300799


def customer_logs(
    *, customer, count: int = 100, created_lt: int | None = None, created_gt: int | None = None
) -> list[EmailLog]:
    """The customer's logs newest first, at most `count`, strictly between the unix-second bounds.

    One query, a range scan of emaillog_customer_created_idx whatever `count` is.
    """
    logs = EmailLog.objects.filter(customer=customer)
    if created_gt is not None and created_gt >= MAX_UNIX_SECONDS:
        return []  # nothing is after the last second of year 9999 (t + 1 would not be a date)
    if created_lt is not None:
        logs = logs.filter(created__lt=datetime.fromtimestamp(created_lt, tz=UTC))
    if created_gt is not None:
        # "After t" in whole seconds: a log at t.5 was sent in second t, so it is not after t.
        logs = logs.filter(created__gte=datetime.fromtimestamp(created_gt + 1, tz=UTC))
    return list(logs.order_by("-created", "-id")[:count])


def log_by_public_id_or_404(*, organisation, log_id: str) -> EmailLog:
    """The organisation's log with this public id (`log_…`), else Http404.

    One query, served by emaillog_org_public_id_unique. Logs of erased customers are gone too.
    """
    if "\x00" in log_id:  # PostgreSQL refuses NUL in text: such an id names no log
        raise Http404("No email log matches the given query.")
    return get_in_organisation_or_404(
        EmailLog.objects.filter(live_customer("customer")), organisation, public_id=log_id
    )


def export_email_logs(customer) -> list[dict]:
    """Every email log of the customer, oldest first, for the export (customers.exporting)."""
    return list(
        EmailLog.objects.filter(customer_id=customer.pk)
        .order_by("created", "id")
        .values(
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
    )
