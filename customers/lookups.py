"""`field__in_array=[…]`: membership in a list passed as ONE parameter, for set-based reads.

`__in` compiles one placeholder per value, and a list parameter is quoted element by element;
at 10,000 values either costs more than the query. This lookup sends the list as one text
value: an array literal on PostgreSQL (`= ANY('{…}'::type[])`, index-usable, and hashed when
the planner scans), a JSON document on SQLite (`IN (SELECT value FROM json_each(…))`). The SQL
text has the same shape whatever the number of values.
"""

import json

from django.db import models


def array_literal(values) -> str:
    """A PostgreSQL array literal of the values' text forms: {"a","b\\"c",NULL}.

    Sent as one string literal and cast where it is written, PostgreSQL reads it while parsing:
    the array is a constant, so a comparison with it can use an index or, in a scan, a hash
    table (a parameter array would be compared element by element on every row). Building it
    costs far less than handing psycopg a list of 10,000 values to quote one by one.
    """
    texts = [None if value is None else str(value) for value in values]
    if not texts:
        return "{}"
    if None not in texts:
        # The usual case (ids, addresses, keys): nothing to escape, joined at C speed.
        everything = "".join(texts)
        if "\\" not in everything and '"' not in everything:
            return '{"' + '","'.join(texts) + '"}'
    items = [
        "NULL" if text is None else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for text in texts
    ]
    return "{" + ",".join(items) + "}"


class InArray(models.Lookup):
    lookup_name = "in_array"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        if connection.vendor == "postgresql":
            return "%s", [array_literal(value)]
        field = self.lhs.output_field
        prepared = [field.get_db_prep_value(v, connection, prepared=False) for v in value]
        return "%s", [json.dumps(prepared)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _, rhs_params = self.process_rhs(compiler, connection)
        if connection.vendor == "postgresql":
            db_type = self.lhs.output_field.cast_db_type(connection)
            return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, *rhs_params]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, *rhs_params]


models.Field.register_lookup(InArray)
# Foreign keys keep their own lookup registry: `customer_id__in_array=[…]` needs it there too.
models.ForeignObject.register_lookup(InArray)
