"""customers.api.renderers.FastJSONRenderer writes the bytes DRF's JSONRenderer writes."""

import pytest
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from customers.api.renderers import FastJSONRenderer
from customers.rows import json_object

ALL_BMP_TEXT = "".join(chr(n) for n in range(0x3000) if not 0xD800 <= n < 0xE000)


@pytest.mark.parametrize(
    "data",
    [
        {"results": []},
        {"results": [{"recipient": {"email": "a@example.org"}, "customerId": None}]},
        {"allowed": True, "blocked": False, "n": 0, "big": 2**63 - 1, "negative": -(2**63)},
        {"text": ALL_BMP_TEXT},
        {"line separators": "a\u2028b\u2029c"},
        {"emoji": "\U0001f600 jürgen@münchen.de 日本"},
        {"quote": '"', "backslash": "\\", "slash": "/", "nul": "\x00", "del": "\x7f"},
        [1, [2, [3, {"k": []}]]],
        {"error": [ErrorDetail("Enter a valid email address.", code="invalid")]},
        {"huge": 2**70},
        "plain",
    ],
)
def test_the_same_bytes_as_drf(data):
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_an_indent_asked_for_is_drf_s():
    data = {"a": [1, 2]}
    for media_type in ("application/json; indent=4", "application/json; indent=0"):
        assert FastJSONRenderer().render(data, media_type) == JSONRenderer().render(
            data, media_type
        )


def test_nothing_renders_empty():
    assert FastJSONRenderer().render(None) == JSONRenderer().render(None) == b""


def test_json_floats_are_spelt_as_drf_spells_them():
    data = json_object('{"a": 1e-05, "b": 1e16, "c": 0.5, "d": -0.0, "e": [123456789.125, 1E400]}')
    data["e"].pop()
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)
    assert b'"a":1e-05,"b":1e+16' in FastJSONRenderer().render(data)


def test_a_json_float_out_of_range_is_refused_as_drf_refuses_it():
    data = json_object('{"huge": 1e400}')
    with pytest.raises(ValueError):
        JSONRenderer().render(data)
    with pytest.raises(ValueError):
        FastJSONRenderer().render(data)
