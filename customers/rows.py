"""Model instances from fixed SQL, for the statements every API request runs.

The ORM builds and compiles a query's SQL on every call; for a small API request that was about
a third of its CPU. The few statements on the hot paths (the caller's user and membership, a
customer or preference by id, the v2 tree, the opt-in write) are written once instead, from the
models' own metadata (table and column names), and rows become model instances through the same
converters the ORM applies, so SQLite and PostgreSQL read alike. Selectors and services use this;
views never write SQL.
"""

import json

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init


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
        self.attnames = [field.attname for field in self.fields]
        self._converters: dict[str, list] = {}

    def converters(self, connection) -> list:
        """(index, converters, column) of the fields whose database values need converting."""
        found = self._converters.get(connection.vendor)
        if found is None:
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                functions = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if functions:
                    found.append((index, functions, column))
            self._converters[connection.vendor] = found
        return found

    def instances(self, rows, offset: int = 0) -> list:
        """One model instance per row, from `row[offset:offset + width]`."""
        connection = connections[DEFAULT_DB_ALIAS]
        converters = self.converters(connection)
        model = self.model
        # What Model.from_db does, without Model.__init__'s per-field checks: the values are
        # complete and in field order. Only when nothing listens to the init signals and the
        # model keeps Django's own constructor (otherwise: from_db, as the ORM does).
        direct = (
            model.__init__ is Model.__init__
            and model.from_db.__func__ is Model.from_db.__func__
            and not pre_init.has_listeners(model)
            and not post_init.has_listeners(model)
        )
        attnames = self.attnames
        end = offset + self.width
        made = []
        for row in rows:
            values = list(row[offset:end])
            for index, functions, column in converters:
                value = values[index]
                for function in functions:
                    value = function(value, column, connection)
                values[index] = value
            if direct:
                instance = model.__new__(model)
                state = instance._state = ModelState()
                state.adding = False
                state.db = connection.alias
                instance.__dict__.update(zip(attnames, values, strict=True))
            else:
                instance = model.from_db(connection.alias, None, values)
            made.append(instance)
        return made

    def instance(self, row, offset: int = 0):
        return self.instances([row], offset)[0]


def fetch(sql: str, params, *, native_timestamps: bool = False) -> list[tuple]:
    """The rows of one statement.

    `native_timestamps`: on PostgreSQL, timestamptz columns are read by psycopg's own compiled
    loader, as aware datetimes in the session's time zone (UTC), instead of Django's, which
    parses each value again in Python (~10 µs a value: 10 ms for a 1,000-row page of times).
    For pages whose times are only formatted: the same instants, another tzinfo object.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        if native_timestamps and connection.vendor == "postgresql":
            from psycopg.types.datetime import TimestamptzLoader

            # On this cursor only (Django reads the connection's loader); psycopg swaps in
            # its C implementation of this class.
            cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        return cursor.fetchall()


def values_rows(queryset) -> list[tuple]:
    """The rows of a values_list() queryset, its timestamps read as fetch(native_timestamps)
    does on PostgreSQL; the ORM's own iteration elsewhere. Only for columns that need no
    converting in Python on PostgreSQL (text, numbers, booleans, times; not JSON)."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    return fetch(sql, params, native_timestamps=True)


class JsonFloat(float):
    """A JSON number with a fraction or exponent read by json_object: a float that
    customers.api.renderers.FastJSONRenderer writes back spelt as the standard library does."""


def json_object(text: str | None):
    """A JSON text column as JSONField decodes it, fractions as JsonFloat; "{}" (most contacts'
    data fields) without the decoder, a few µs a row."""
    if text == "{}":
        return {}
    return json.loads(text, parse_float=JsonFloat) if text else None


def any_of(column: str, ids: list) -> tuple[str, list]:
    """Fixed SQL for "`column` is one of these ids" and its parameters: one array parameter on
    PostgreSQL, a placeholder per id elsewhere. `ids` is a non-empty list of integers."""
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [ids]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def prep(model, field_name: str, value):
    """A lookup value as the database takes it (a UUID as 32 hex digits on SQLite, say)."""
    connection = connections[DEFAULT_DB_ALIAS]
    return model._meta.get_field(field_name).get_db_prep_value(value, connection)
