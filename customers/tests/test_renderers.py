"""customers.api.renderers.FastJSONRenderer writes the bytes DRF's JSONRenderer writes."""

import pytest
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from customers.api.renderers import FastJSONRenderer

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
