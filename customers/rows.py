"""Model instances from fixed SQL, for the statements every API request runs.

The ORM builds and compiles a query's SQL on every call; for a small API request that was about
a third of its CPU. The few statements on the hot paths (the caller's user and membership, a
customer or preference by id, the v2 tree, the opt-in write) are written once instead, from the
models' own metadata (table and column names), and rows become model instances through the same
converters the ORM applies, so SQLite and PostgreSQL read alike. Selectors and services use this;
views never write SQL.
"""

from django.db import connection


class ModelRows:
    """The columns of `model` under a table alias, and rows of them as model instances.

    `columns` is the SELECT list (every concrete field, in model order); `instance(row, offset)`
    builds the instance from `row[offset:offset + width]`.
    """

    def __init__(self, model, alias: str):
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.width = len(self.fields)
        self.columns = ", ".join(f'{alias}."{field.column}"' for field in self.fields)
        self._converters: dict[str, list] = {}

    def converters(self) -> list:
        """(index, converters, column) of the fields whose database values need converting."""
        vendor = connection.vendor
        found = self._converters.get(vendor)
        if found is None:
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                functions = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if functions:
                    found.append((index, functions, column))
            self._converters[vendor] = found
        return found

    def instance(self, row, offset: int = 0):
        values = list(row[offset : offset + self.width])
        for index, functions, column in self.converters():
            value = values[index]
            for function in functions:
                value = function(value, column, connection)
            values[index] = value
        return self.model.from_db(connection.alias, None, values)


def fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def prep(model, field_name: str, value):
    """A lookup value as the database takes it (a UUID as 32 hex digits on SQLite, say)."""
    return model._meta.get_field(field_name).get_db_prep_value(value, connection)
