from customers import services
from customers.importing import ImportCommand, RowRejected
from customers.normalisation import InvalidEmail, InvalidPhoneNumber, clean_email, normalise_phone

FIELDS = ("email", "phone", "correlation_id", "locale", "first_name", "last_name")
MAX_LENGTHS = {"correlation_id": 128, "first_name": 100, "last_name": 100}


class Command(ImportCommand):
    help = (
        "Create or update customers from a CSV or JSON Lines file (DESIGN §8). Columns: "
        "email, phone, correlation_id, locale, first_name, last_name; any other column goes "
        "into the customer's data fields. A customer is found by email, else correlation id, "
        "else phone. Blank cells leave stored values as they are. Within one batch a later line "
        "for the same customer wins and the earlier one is reported."
    )
    columns = FIELDS
    extra_columns_allowed = True
    # One COPY and one upsert statement per batch on PostgreSQL. Measured on 240,000 rows:
    # 2,500 → 16.9 s, 5,000 → 15.9 s, 10,000 → 17.9 s, 25,000 → 39.7 s.
    default_batch_size = 5000
    # parse_record only validates text: it never touches the database.
    parse_in_background = True

    def parse_record(self, data, context):
        row = services.CustomerRow()
        extra = {}
        for name, value in data.items():
            if name not in FIELDS:
                extra[name] = value
                continue
            if not isinstance(value, str):
                raise RowRejected(f"{name}: {value!r} is not text.")
            value = value.strip()
            if len(value) > MAX_LENGTHS.get(name, 254):
                raise RowRejected(f"{name}: longer than {MAX_LENGTHS.get(name, 254)} characters.")
            try:
                if name == "email":
                    value = clean_email(value)
                elif name == "locale":
                    value = services.clean_locale(value)
                elif name == "phone":
                    value = normalise_phone(value, context.organisation.phone_region)
            except (services.InvalidCustomerInput, InvalidEmail, InvalidPhoneNumber) as exc:
                raise RowRejected(f"{name}: {exc}") from exc
            setattr(row, name, value)
        if row.email is None and row.phone is None and row.correlation_id is None:
            raise RowRejected("A customer needs at least one of email, phone, correlation_id.")
        if extra:
            row.data_fields = extra
        return row

    def apply_batch(self, items, context):
        rows = self._distinct(items)
        result = services.customers_import_rows(
            organisation=context.organisation, rows=rows, provenance=context.provenance
        )
        for row, reason in result.rejected:
            self.reject_later(row, reason)
        return result.counts

    def _distinct(self, items):
        """One row per customer and per correlation id: the later line wins."""
        latest = {}
        for row in items:
            earlier = latest.pop(row.key(), None)
            if earlier is not None:
                self.reject_later(
                    earlier, f"Superseded by line {self.line_of(row)} (same customer)."
                )
            latest[row.key()] = row
        owners = {}
        for row in list(latest.values()):
            if row.correlation_id is None:
                continue
            earlier = owners.get(row.correlation_id)
            if earlier is not None and earlier.key() != row.key():
                self.reject_later(
                    row,
                    f"correlation_id: also given to another customer on line "
                    f"{self.line_of(earlier)}.",
                )
                del latest[row.key()]
                continue
            owners[row.correlation_id] = row
        return list(latest.values())
