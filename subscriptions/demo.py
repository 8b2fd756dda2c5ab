"""Demo data of the subscriptions app for `seed_demo` (idempotent: services skip what exists)."""

from django.db import transaction
from django.utils import timezone

from customers.ledger import Provenance, Source
from customers.models import Customer

from . import services
from .models import Suppression

DEMO_SUPPRESSIONS = [
    ("grace@example.com", Suppression.Reason.UNSUBSCRIBED),
    ("bounced@example.com", Suppression.Reason.HARD_BOUNCED),
    ("complained@example.com", Suppression.Reason.ISP_COMPLAINED),
]


@transaction.atomic
def seed(organisation) -> list[str]:
    provenance = Provenance(source=Source.SYSTEM, detail="seed_demo")
    services.suppressions_add(
        organisation=organisation,
        entries=[
            services.AddressToSuppress(email=email, reason=reason, date_removed=timezone.now())
            for email, reason in DEMO_SUPPRESSIONS
        ],
        provenance=provenance,
    )
    member = (
        Customer.objects.for_organisation(organisation)
        .filter(correlation_id__isnull=False, phone__isnull=False, email__isnull=False)
        .first()
    )
    lines = [
        f"{len(DEMO_SUPPRESSIONS)} suppressed addresses (unsubscribed, hard-bounced, "
        "complained): GET /v2/contacts/suppressed-since/2000-01-01",
    ]
    if member is not None:
        services.channel_subscriptions_set(
            customer=member, statuses={"email": "OPT_IN", "sms": "OPT_IN"}, provenance=provenance
        )
        lines.append(
            f"Loyalty member {member.correlation_id}: PUT /client/users/{member.correlation_id}"
            "/profile/marketing-subscription"
        )
    return lines
