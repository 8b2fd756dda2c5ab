"""The one JSON parser of every API route, with the body limits applied while parsing.

A body is refused before any work scales with it:
- more than DATA_UPLOAD_MAX_MEMORY_SIZE bytes: 413, whatever Content-Length said (a chunked body
  has none), reading no further than one byte past the limit;
- more than API_MAX_JSON_VALUES values (array items and object members, counted in the raw text
  at C speed): 413, before a single Python object is built;
- nested deeper than API_MAX_JSON_DEPTH: 400, before `json` recurses (past ~900 levels it
  would raise RecursionError, a 500);
- a lone surrogate ("\\ud800") in any string: 400, as PostgreSQL could neither store it nor an
  error echo it.
Each is raised as a DRF error, so the route's dialect words it.
"""

import codecs
import re

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Where a lone surrogate in the parsed data can come from: a surrogate escape in the text (or a
# surrogate character itself, which a strict decoder never yields). Without one, nothing to walk.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# A JSON string (escapes included), so that brackets and commas inside strings are not counted.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))
_INNERMOST = re.compile(rb"\[\]|\{\}")


class StrictJSONParser(JSONParser):
    """JSON within the body limits, whose strings are valid Unicode."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = read_limited(stream)
        check_shape(raw)
        try:
            text = codecs.decode(raw, encoding)
            parse_constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except (ValueError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        # A few C-speed searches of the text spare walking every value of a surrogate-free body.
        if _may_hold_lone_surrogate(text) and _has_lone_surrogate(data):
            raise ParseError("JSON parse error - the body contains a lone surrogate.")
        return data


def read_limited(stream) -> bytes:
    """The body, or PayloadTooLarge as soon as it is longer than DATA_UPLOAD_MAX_MEMORY_SIZE."""
    from .api.dialects import PayloadTooLarge  # not at import time: DRF imports this module

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    raw = stream.read(limit + 1) if limit is not None else stream.read()
    if limit is not None and len(raw) > limit:
        raise PayloadTooLarge()
    return raw


def check_shape(raw: bytes) -> None:
    """Refuse a body with too many values or nested too deep, in a few passes at C speed."""
    skeleton = _without_strings(raw)
    # Every value but the first of each array or object follows a comma.
    values = skeleton.count(b",") + skeleton.count(b"[") + skeleton.count(b"{")
    if values > settings.API_MAX_JSON_VALUES:
        from .api.dialects import PayloadTooLarge

        raise PayloadTooLarge("The request body has too many items.")
    brackets = skeleton.translate(None, _NOT_BRACKET)
    # Each pass removes the innermost level; what is left after the allowed depth is too deep.
    for _ in range(settings.API_MAX_JSON_DEPTH):
        if not brackets:
            return
        reduced = _INNERMOST.sub(b"", brackets)
        if reduced == brackets:
            return  # unbalanced: not JSON, and json.loads says where
        brackets = reduced
    if _INNERMOST.search(brackets):
        raise ParseError(
            f"JSON parse error - nested deeper than {settings.API_MAX_JSON_DEPTH} levels."
        )


def _without_strings(raw: bytes) -> bytes:
    """The body with every JSON string emptied (`"…"` → `""`), so that what they hold is not
    counted as brackets or commas.

    Without a backslash, quotes pair up in order (when their number is even): splitting at them
    is the string regex's answer at a fraction of its cost."""
    if b"\\" not in raw:
        parts = raw.split(b'"')
        if len(parts) % 2:
            return b'""'.join(parts[::2])
    return _STRING.sub(b'""', raw)


def _may_hold_lone_surrogate(text: str) -> bool:
    """False when the parsed text cannot hold a lone surrogate: no surrogate escape (\\udXXX
    from d800) in it, and no surrogate character (only possible in non-ASCII text)."""
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        return True
    return not text.isascii() and _LONE_SURROGATE.search(text) is not None


def _has_lone_surrogate(data) -> bool:
    # Iterative: the depth is bounded already, but a walk should not depend on it.
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class CaseInsensitiveKeys(dict):
    """A JSON object whose keys are looked up whatever their case (exact spelling first).

    Serializers read a field with `data.get(name)`, so declared names bind to `Email`, `EMAIL`
    or `email` alike, at any depth. Iteration and `repr` keep the keys as the client sent them.
    """

    def __init__(self, pairs):
        super().__init__(pairs)
        self._folded: dict[str, str] = {}
        for key in self:
            self._folded.setdefault(key.casefold(), key)

    def _key(self, key):
        if isinstance(key, str) and not super().__contains__(key):
            return self._folded.get(key.casefold(), key)
        return key

    def __getitem__(self, key):
        return super().__getitem__(self._key(key))

    def __contains__(self, key):
        return super().__contains__(self._key(key))

    def get(self, key, default=None):
        return super().get(self._key(key), default)


def _case_insensitive(data):
    if isinstance(data, dict):
        return CaseInsensitiveKeys((key, _case_insensitive(value)) for key, value in data.items())
    if isinstance(data, list):
        return [_case_insensitive(item) for item in data]
    return data


class CaseInsensitiveJSONParser(StrictJSONParser):
    """Strict JSON whose object keys bind case-insensitively: the v2 dialect's parser.

    The vendor's older clients send PascalCase keys (`{"Email": …}`,
    `{"UnsubscribedContact": {"Email": …}}`) where the documents say camelCase.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        return _case_insensitive(super().parse(stream, media_type, parser_context))
