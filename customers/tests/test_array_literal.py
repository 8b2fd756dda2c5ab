"""customers.lookups.array_literal: its C-speed path writes what the value-by-value path writes."""

import uuid
from datetime import UTC, datetime

import pytest

from customers.lookups import array_literal


def _value_by_value(values) -> str:
    items = [
        "NULL"
        if value is None
        else '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        for value in values
    ]
    return "{" + ",".join(items) + "}"


@pytest.mark.parametrize(
    "values",
    [
        [],
        ["a"],
        ["a", "b", "c@example.com"],
        ["", "", "x"],
        [1, 2, 2**63 - 1],
        [uuid.UUID(int=5), uuid.UUID(int=6)],
        [datetime(2026, 1, 1, tzinfo=UTC)],
        ['say "hi"', "plain"],
        ["back\\slash", "plain"],
        ["a", None, "b"],
        [None],
        ["NULL", "null"],
        ['","', "{", "}", ","],
        ["jürgen@münchen.de", "日本"],
    ],
)
def test_array_literal_equals_the_value_by_value_spelling(values):
    assert array_literal(values) == _value_by_value(values)
    assert array_literal(tuple(values)) == _value_by_value(values)
    assert array_literal(iter(values)) == _value_by_value(values)


def test_array_literal_of_a_set_keeps_its_iteration_order():
    values = {"b", "a", "c"}
    assert array_literal(values) == _value_by_value(list(values))


@pytest.mark.parametrize(
    ("values", "literal"),
    [
        ([], "{}"),
        (["a@x.io", "b@x.io"], '{"a@x.io","b@x.io"}'),
        ([1, 22], '{"1","22"}'),
        ([None, "a"], '{NULL,"a"}'),
        (["", "NULL"], '{"","NULL"}'),
        (['say "hi"', "back\\slash"], '{"say \\"hi\\"","back\\\\slash"}'),
        (["a,b", "{c}"], '{"a,b","{c}"}'),
    ],
)
def test_array_literal_spells_each_value(values, literal):
    assert array_literal(values) == literal


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_postgresql_reads_the_literal_back_as_the_values():
    from django.db import connection

    values = ['say "hi"', "back\\slash", None, "", "a,b", "{c}", "ünï"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [array_literal(values)])
        assert cursor.fetchone()[0] == values
