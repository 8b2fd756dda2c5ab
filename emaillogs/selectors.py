"""Reads of email logs shared by the API, the admin and commands."""

from datetime import UTC, datetime

from .models import EmailLog

# Unix seconds up to the last second of year 9999, the largest a datetime holds.
MAX_UNIX_SECONDS = 253402300799


def customer_logs(
    *, customer, count: int = 100, created_lt: int | None = None, created_gt: int | None = None
) -> list[EmailLog]:
    """The customer's logs newest first, at most `count`, strictly between the unix-second bounds.

    One query, a range scan of emaillog_customer_created_idx whatever `count` is.
    """
    logs = EmailLog.objects.filter(customer=customer)
    if created_lt is not None:
        logs = logs.filter(created__lt=datetime.fromtimestamp(created_lt, tz=UTC))
    if created_gt is not None:
        # "After t" in whole seconds: a log at t.5 was sent in second t, so it is not after t.
        # After the last second of year 9999 nothing can have been sent (and t + 1 overflows).
        if created_gt >= MAX_UNIX_SECONDS:
            return []
        logs = logs.filter(created__gte=datetime.fromtimestamp(created_gt + 1, tz=UTC))
    return list(logs.order_by("-created", "-id")[:count])
