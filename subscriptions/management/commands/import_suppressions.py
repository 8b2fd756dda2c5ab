from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from customers.importing import ImportCommand, RowRejected, parse_time
from customers.normalisation import InvalidEmail, address_key, clean_email, normalise_email
from subscriptions import selectors, services
from subscriptions.models import Suppression

REASONS = {reason.value.lower(): reason.value for reason in Suppression.Reason}


@dataclass
class Entry:
    """A parsed record: an address to suppress, and its fingerprint (framework)."""

    email: str  # normalised
    reason: str
    date_removed: datetime | None  # None: now
    fingerprint: tuple | None = None


@dataclass
class AlreadyListed:
    """A record whose address is on the list with an equal or stronger reason: changes nothing."""

    key: str


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
    # A re-run skips the records whose address is listed already with an equal or stronger
    # reason (rule R7: such a record changes nothing, whatever its date) without writing them.
    fingerprints = True

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
            parse_time(data["date_removed"], "date_removed") if "date_removed" in data else None
        )
        return Entry(email=email, reason=reason, date_removed=date_removed)

    def fingerprint(self, data, context):
        """(address key, rank of the reason) as the record gives them, without checking the
        address (only a record found listed is checked, in known_unchanged)."""
        email = data.get("email")
        reason = REASONS.get(str(data.get("reason", Suppression.Reason.SUPPRESSED)).strip().lower())
        if not isinstance(email, str) or reason is None:
            return None
        # normalise_email(clean_email(x)) is normalise_email(x) whenever clean_email accepts x.
        return address_key(normalise_email(email) or ""), services.reason_rank(reason)

    def known_unchanged(self, records, context):
        """The records whose address is listed (and not erased) with an equal or stronger
        reason, and that parse_record accepts: the others are parsed, and rejected there."""
        looked_up = [i for i, record in enumerate(records) if record.fingerprint is not None]
        listed = selectors.listed_reasons(
            organisation=context.organisation,
            address_keys=[records[i].fingerprint[0] for i in looked_up],
        )
        known = {}
        for i in looked_up:
            key, wanted = records[i].fingerprint
            if key in listed and services.reason_rank(listed[key]) >= wanted:
                try:
                    self.parse_record(records[i].data, context)
                except RowRejected:
                    continue
                known[i] = AlreadyListed(key=key)
        return known

    def written_key(self, item):
        if isinstance(item, AlreadyListed):
            return item.key
        return item.fingerprint[0] if item.fingerprint else address_key(item.email)

    def apply_batch(self, items, context):
        entries = [item for item in items if not isinstance(item, AlreadyListed)]
        listed = len(items) - len(entries)
        if not entries:
            return Counter(unchanged=listed)
        now = timezone.now()
        created, updated, unchanged = services.suppressions_add(
            organisation=context.organisation,
            entries=[
                services.AddressToSuppress(
                    email=entry.email, reason=entry.reason, date_removed=entry.date_removed or now
                )
                for entry in entries
            ],
            provenance=context.provenance,
        )
        return Counter(created=created, updated=updated, unchanged=unchanged + listed)
