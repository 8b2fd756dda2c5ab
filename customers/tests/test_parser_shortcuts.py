"""customers.parsers: the shortcuts of the body checks answer as the full checks do."""

import json

import pytest

from customers import parsers

BODIES = [
    b"",
    b"[]",
    b'{"a": "b"}',
    b'[{"email": "a@example.org", "event": "open", "n": [1, 2, {"x": "[{,}]"}]}]',
    b'{"a": "say \\"hi\\"", "b": "\\\\", "c": "[,"}',
    b'{"unterminated": "abc',
    b'"',
    b'""""',
    b'{"a": "\\u00e9", "b": "\\ud83d\\ude00"}',
    b'["\\ud800"]',
    '{"k": "jürgen, [x]"}'.encode(),
]


@pytest.mark.parametrize("raw", BODIES)
def test_emptying_strings_is_the_string_regex(raw):
    assert parsers._without_strings(raw) == parsers._STRING.sub(b'""', raw)


@pytest.mark.parametrize("raw", BODIES)
def test_a_lone_surrogate_is_looked_for_whenever_there_may_be_one(raw):
    try:
        data = json.loads(raw.decode())
    except ValueError:
        return
    if parsers._has_lone_surrogate(data):
        assert parsers._may_hold_lone_surrogate(raw.decode())


@pytest.mark.parametrize(
    "text, may",
    [
        ('["\\ud800"]', True),
        ('["\\uDFFF"]', True),
        ('["\\u00e9 \\ud7ff"]', False),
        ('["plain"]', False),
        ('["jürgen"]', False),
        ('["\ud800"]', True),
    ],
)
def test_where_a_lone_surrogate_may_come_from(text, may):
    assert parsers._may_hold_lone_surrogate(text) is may
