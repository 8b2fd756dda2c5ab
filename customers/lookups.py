"""`field__in_array=[…]`: membership in a list passed as ONE parameter, for set-based reads.

`__in` compiles one placeholder per value; at 10,000 values that costs more than the query. This
lookup sends the list as one array (`= ANY(%s::type[])` on PostgreSQL) or one JSON document
(`IN (SELECT value FROM json_each(%s))` on SQLite), so the SQL text is the same whatever the
number of values and the planner still uses the column's index.
"""

import json

from django.db import models


class InArray(models.Lookup):
    lookup_name = "in_array"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=False) for v in value]
        return "%s", [values]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _, rhs_params = self.process_rhs(compiler, connection)
        values = rhs_params[0]
        if connection.vendor == "postgresql":
            db_type = self.lhs.output_field.cast_db_type(connection)
            return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, values]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(values)]


models.Field.register_lookup(InArray)
# Foreign keys keep their own lookup registry: `customer_id__in_array=[…]` needs it there too.
models.ForeignObject.register_lookup(InArray)
