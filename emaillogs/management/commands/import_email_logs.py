import hashlib
import re

from customers.importing import ImportCommand, RowRejected, parse_time
from customers.normalisation import InvalidEmail, clean_email, normalise_email
from emaillogs.models import EmailLog
from emaillogs.services import LOG_FIELDS, LogRow, email_logs_import_rows

ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_LENGTHS = {name: EmailLog._meta.get_field(name).max_length for name in LOG_FIELDS}


class Command(ImportCommand):
    help = (
        "Create or update email logs from a CSV or JSON Lines file (DESIGN §8). Columns: email "
        "(the customer's), id, created (unix seconds or ISO 8601), recipient_name, "
        "recipient_address, status, message, email_id, email_name, email_version. Logs are "
        "keyed by id; a row without one gets a log_… id derived from its content, so a re-run "
        "never duplicates it."
    )
    columns = ("email", "id", "created", *LOG_FIELDS)
    required_columns = ("email", "created")

    def parse_record(self, data, context):
        for name in ("email", "created"):
            if name not in data:
                raise RowRejected(f"{name}: required.")
        try:
            email = clean_email(data["email"])
        except InvalidEmail as exc:
            raise RowRejected(f"email: {exc}") from exc
        created = parse_time(data["created"], "created")
        values = {}
        for name in LOG_FIELDS:
            value = data.get(name, "")
            if not isinstance(value, str):
                raise RowRejected(f"{name}: {value!r} is not text.")
            if len(value) > MAX_LENGTHS[name]:
                raise RowRejected(f"{name}: longer than {MAX_LENGTHS[name]} characters.")
            values[name] = value.strip()
        public_id = data.get("id")
        if public_id is None:
            public_id = _content_id(email, created, values)
        elif not isinstance(public_id, str) or not ID_RE.match(public_id):
            raise RowRejected("id: up to 64 letters, digits, _ . : or -.")
        return LogRow(email=email, public_id=public_id, created=created, values=values)

    def apply_batch(self, items, context):
        latest = {}
        for row in items:
            earlier = latest.pop(row.public_id, None)
            if earlier is not None:
                self.reject_later(earlier, f"Superseded by line {self.line_of(row)} (same id).")
            latest[row.public_id] = row
        counts, rejected = email_logs_import_rows(
            organisation=context.organisation, rows=list(latest.values())
        )
        for row, reason in rejected:
            self.reject_later(row, reason)
        return counts


def _content_id(email, created, values) -> str:
    """The same log_… id for the same log every time the file is imported."""
    content = "\x1f".join(
        [normalise_email(email), created.isoformat(), *(values[name] for name in LOG_FIELDS)]
    )
    return "log_" + hashlib.sha256(content.encode()).hexdigest()[:16]
