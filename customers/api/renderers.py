"""The JSON renderer of bulk answers: DRF's JSONRenderer, written by orjson.

A 10,000-recipient decision answers 1.5 MB of JSON; the standard library's encoder spends more
time on it than the queries. orjson writes the same bytes for dicts, lists, strings, integers
(to 64 bits), booleans and null: compact, UTF-8, no ASCII escaping. Anything else goes to DRF's
renderer: an indent asked for in Accept, subclasses (lazy texts, ErrorDetail), other types.
Floats are the exception orjson would not refuse (NaN: null here, an error there; 1e+16 spelled
1e16): use this renderer only for answers without floats (decisions.api.decisions).
"""

import orjson
from rest_framework.renderers import JSONRenderer


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
    raise TypeError
