import uuid
from collections import Counter
from datetime import UTC, datetime

from customers.importing import (
    FALSE_WORDS,
    TRUE_WORDS,
    ImportCommand,
    RowRejected,
    parse_bool,
    parse_time,
)
from customers.normalisation import InvalidEmail, clean_email, normalise_email, parse_id
from preferences import selectors
from preferences.services import OptInItem, preference_opt_ins_import

# The usual spellings, looked up before parse_bool strips and lower-cases (same answers).
BOOLEANS = {
    word: word.lower() in TRUE_WORDS
    for word in (*TRUE_WORDS, *FALSE_WORDS, "True", "False", "TRUE", "FALSE", "Yes", "No")
}


def parse_modified(value) -> datetime:
    """parse_time(value, "modified") with its two usual cases first, same answers: unix seconds
    in ASCII digits, and ISO 8601 text (parse_time reads it with datetime.fromisoformat after
    int() failed, which it always does with a "-" after the year)."""
    if type(value) is str:
        text = value.strip()
        try:
            if text.isascii() and text.isdigit():
                return datetime.fromtimestamp(int(text), tz=UTC)
            if len(text) >= 10 and text[4] == "-":
                parsed = datetime.fromisoformat(text)
                return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=UTC)
        except (ValueError, OverflowError, OSError):
            pass  # parse_time decides, and words the rejection
    return parse_time(value, "modified")


class Command(ImportCommand):
    help = (
        "Import customers' preference opt-ins (CSV or JSON Lines) with columns customer "
        "(contact id, UUID or email), preference_id, opted_in, modified. Every change is "
        "recorded on the consent ledger; a state older than the stored one is left alone."
    )
    columns = ("customer", "preference_id", "opted_in", "modified")
    required_columns = ("customer", "preference_id", "opted_in")
    # parse_record only validates text: it never touches the database, so the next batch is
    # parsed in a background thread while this one is written.
    parse_in_background = True

    def parse_record(self, data, context):
        customer = str(data.get("customer", "")).strip().replace("\x00", "")
        if (contact_id := parse_id(customer)) is not None:
            key = ("id", contact_id)
        elif "@" in customer:
            try:
                key = ("email", normalise_email(clean_email(customer)))
            except InvalidEmail as exc:
                raise RowRejected(f"customer: {customer!r} is not a valid email address.") from exc
        else:
            try:
                key = ("uuid", uuid.UUID(customer))
            except ValueError as exc:
                raise RowRejected(
                    f"customer: {customer!r} is not a contact id, UUID or email."
                ) from exc
        preference_id = str(data.get("preference_id", "")).strip()
        if (preference_pk := parse_id(preference_id)) is None:
            raise RowRejected(f"preference_id: {preference_id!r} is not an id.")
        if "opted_in" not in data:
            raise RowRejected("opted_in: required.")
        opted_in = data["opted_in"]
        opted_in = BOOLEANS.get(opted_in) if type(opted_in) is str else None
        if opted_in is None:
            opted_in = parse_bool(data["opted_in"], "opted_in")
        return {
            "customer": key,
            "preference_id": preference_pk,
            "opted_in": opted_in,
            "modified": parse_modified(data["modified"]) if "modified" in data else None,
        }

    def apply_batch(self, items, context) -> Counter:
        organisation = context.organisation
        customers = selectors.customer_ids_by_identifiers(
            organisation=organisation, keys=[item["customer"] for item in items]
        )
        preferences = selectors.preference_ids_in(
            organisation=organisation, ids=[item["preference_id"] for item in items]
        )
        wanted = []
        for item in items:
            customer_id = customers.get(item["customer"])
            if customer_id is None:
                self.reject_later(item, "customer: not found in this organisation.")
            elif item["preference_id"] not in preferences:
                self.reject_later(item, "preference_id: not a preference of this organisation.")
            else:
                wanted.append(
                    OptInItem(
                        customer_id, item["preference_id"], item["opted_in"], item["modified"]
                    )
                )
        created, updated = preference_opt_ins_import(
            organisation=organisation, items=wanted, provenance=context.provenance
        )
        # Rows of the file that repeat a pair count once, as the last word; the rest unchanged.
        return Counter(created=created, updated=updated, unchanged=len(wanted) - created - updated)
