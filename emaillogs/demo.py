"""Demo email logs for `seed_demo`: a few logs for the first demo customers (idempotent)."""

from datetime import UTC, datetime, timedelta

from customers.models import Customer

from .models import EmailLog

STATUSES = [
    ("delivered", "SendGrid: Message has been delivered"),
    ("opened", "SendGrid: Message has been opened"),
    ("clicked", "SendGrid: A link was clicked"),
]
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def seed(organisation) -> list[str]:
    customers = (
        Customer.objects.for_organisation(organisation).live().filter(email__isnull=False)[:3]
    )
    for n, customer in enumerate(customers):
        for i, (status, message) in enumerate(STATUSES):
            EmailLog.objects.update_or_create(
                organisation=organisation,
                public_id=f"log_demo{n}{i}",
                defaults={
                    "customer": customer,
                    "created": START + timedelta(days=n, hours=i),
                    "recipient_name": customer.first_name,
                    "recipient_address": customer.email,
                    "status": status,
                    "message": message,
                    "email_id": "tem_welcome",
                    "email_name": "Welcome",
                    "email_version": "Version A",
                },
            )
    if not customers:
        return []
    return [f"{3 * len(customers)} email logs, e.g. GET /customers/{customers[0].email}/logs"]
