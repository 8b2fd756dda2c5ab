"""import_optins reads the usual booleans and times first: the same answers as the framework's
parse_bool and parse_time, for everything."""

import pytest

from customers.importing import RowRejected, parse_bool, parse_time
from preferences.management.commands.import_optins import BOOLEANS, parse_modified

TIMES = [
    "1577872800",
    " 1577872800 ",
    "0",
    "99999999999999999999",
    "+1577872800",
    "1_577_872_800",
    "²",
    "2020-01-01",
    "2020-01-01T10:00:00Z",
    "2020-01-01T10:00:00.123456+02:00",
    "2020-01-01 10:00",
    "2020-01-01T10:00:00",
    "2020-13-01T10:00:00Z",
    "2020-02-30",
    "20200101",
    "2020-01-01T25:00",
    "not a time",
    1577872800,
    1577872800.5,
]


@pytest.mark.parametrize("value", TIMES)
def test_parse_modified_answers_as_parse_time(value):
    try:
        expected = parse_time(value, "modified")
    except RowRejected as exc:
        with pytest.raises(RowRejected, match=str(exc).split(":")[0]):
            parse_modified(value)
    else:
        assert parse_modified(value) == expected
        assert parse_modified(value).utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("word", sorted(BOOLEANS))
def test_usual_booleans_read_as_parse_bool(word):
    assert BOOLEANS[word] is parse_bool(word, "opted_in")
