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
