from collections import Counter

from django.utils import timezone

from customers.importing import ImportCommand, RowRejected, parse_time
from customers.normalisation import InvalidEmail, clean_email, normalise_email
from subscriptions import services
from subscriptions.models import Suppression

REASONS = {reason.value.lower(): reason.value for reason in Suppression.Reason}


class Command(ImportCommand):
    help = (
        "Import suppressed addresses (columns: email, reason, date_removed) into an "
        "organisation's suppression list. reason is one of Unsubscribed, HardBounced, "
        "IspComplained, Suppressed (default Suppressed); date_removed is ISO 8601 or unix "
        "seconds (default now). An address already on the list keeps its reason and date unless "
        "the new reason is stronger (HardBounced and IspComplained outrank the others)."
    )
    columns = ("email", "reason", "date_removed")
    required_columns = ("email",)

    # parse_record only validates text: it never touches the database, so the next batch is
    # parsed in a background thread while this one is written.
    parse_in_background = True

    def parse_record(self, data, context):
        try:
            email = normalise_email(clean_email(data.get("email", "")))
        except InvalidEmail as exc:
            raise RowRejected(f"email: {data.get('email')!r} is not an email address.") from exc
        reason_text = str(data.get("reason", Suppression.Reason.SUPPRESSED)).strip()
        reason = REASONS.get(reason_text.lower())
        if reason is None:
            raise RowRejected(
                f"reason: {reason_text!r} is not one of {', '.join(REASONS.values())}."
            )
        date_removed = (
            parse_time(data["date_removed"], "date_removed")
            if "date_removed" in data
            else timezone.now()
        )
        return services.AddressToSuppress(email=email, reason=reason, date_removed=date_removed)

    def apply_batch(self, items, context):
        created, updated, unchanged = services.suppressions_add(
            organisation=context.organisation, entries=items, provenance=context.provenance
        )
        return Counter(created=created, updated=updated, unchanged=unchanged)
