"""customers.lookups.array_literal: one PostgreSQL array literal for a whole list."""

import pytest

from customers.lookups import array_literal


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
def test_array_literal(values, literal):
    assert array_literal(values) == literal


@pytest.mark.django_db
def test_postgresql_reads_it_back(django_db_blocker):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL array literals")
    values = ['say "hi"', "back\\slash", None, "", "a,b", "{c}", "ünï"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [array_literal(values)])
        assert cursor.fetchone()[0] == values
