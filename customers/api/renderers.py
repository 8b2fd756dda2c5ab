"""The JSON renderer of bulk answers: DRF's JSONRenderer, written by orjson.

A 10,000-recipient decision answers 1.5 MB of JSON; the standard library's encoder spends more
time on it than the queries. orjson writes the same bytes for dicts, lists, strings, integers
(to 64 bits), booleans and null: compact, UTF-8, no ASCII escaping. Anything else goes to DRF's
renderer: an indent asked for in Accept, subclasses (lazy texts, ErrorDetail), other types.
Plain floats are the exception orjson would not refuse, and it spells some of them its own way
(1e-05 as 0.00001); customers.rows.JsonFloat values (the data fields the list pages read) are
written as the standard library spells them, non-finite ones refused as DRF refuses them. Use
this renderer only for answers whose floats, if any, are JsonFloat (decisions.api.decisions,
the v2 contact lists).
"""

import math

import orjson
from rest_framework.renderers import JSONRenderer

from ..rows import JsonFloat


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None or self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_refuse, option=orjson.OPT_PASSTHROUGH_SUBCLASS)
        except TypeError:
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF: U+2028 and U+2029 escaped, so that the answer is valid JavaScript too.
        if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(
                b"\xe2\x80\xa9", b"\\u2029"
            )
        return rendered


def _refuse(value):
    if type(value) is JsonFloat and math.isfinite(value):
        return orjson.Fragment(float.__repr__(value))
    raise TypeError
