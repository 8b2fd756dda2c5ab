from collections import Counter

from customers.importing import ImportCommand, RowRejected, parse_bool
from customers.normalisation import parse_id
from preferences.services import ImportedPreference, preferences_import

MAX_ID = 2**63 - 1
MAX_ORDER = 2**31 - 2


def parse_int(data: dict, column: str, *, maximum: int = MAX_ID) -> int | None:
    if column not in data:
        return None
    value = parse_id(str(data[column]).strip(), maximum=maximum)
    if value is None:
        raise RowRejected(f"{column}: {data[column]!r} is not a whole number from 0.")
    return value


class Command(ImportCommand):
    help = (
        "Import preference categories and preferences (CSV or JSON Lines) with columns "
        "id, public_name, private_name, is_preference, category_id, order, is_public. "
        "Rows are matched by id: a re-run updates, never duplicates."
    )
    columns = (
        "id",
        "public_name",
        "private_name",
        "is_preference",
        "category_id",
        "order",
        "is_public",
    )
    required_columns = ("public_name",)
    # Preferences are few; one batch keeps categories and their preferences together.
    default_batch_size = 10_000

    def parse_record(self, data, context):
        public_name = str(data.get("public_name", "")).strip()
        if not public_name:
            raise RowRejected("public_name: required.")
        private_name = str(data.get("private_name", public_name)).strip()
        if "\x00" in public_name + private_name:
            raise RowRejected("public_name/private_name: NUL characters are not allowed.")
        if len(public_name) > 255 or len(private_name) > 255:
            raise RowRejected("public_name/private_name: at most 255 characters.")
        pk = parse_int(data, "id")
        if pk == 0:
            raise RowRejected("id: must be 1 or more.")
        return ImportedPreference(
            id=pk,
            public_name=public_name,
            private_name=private_name,
            is_preference=parse_bool(data.get("is_preference", "true"), "is_preference"),
            category_id=parse_int(data, "category_id") or None,
            order=parse_int(data, "order", maximum=MAX_ORDER),
            is_public=parse_bool(data.get("is_public", "true"), "is_public"),
        )

    def apply_batch(self, items, context) -> Counter:
        counts, rejected = preferences_import(organisation=context.organisation, rows=items)
        for item, reason in rejected:
            self.reject_later(item, reason)
        return counts
