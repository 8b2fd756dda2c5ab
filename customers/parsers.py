import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class StrictJSONParser(JSONParser):
    """JSON whose strings are valid Unicode.

    JSON may escape a lone surrogate ("\\ud800"); Python decodes it into a string that can be
    neither stored in PostgreSQL nor rendered back (an error echoing it would be a 500), so it is
    a parse error: the dialect's 400 for every route.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _has_lone_surrogate(data):
            raise ParseError("JSON parse error - the body contains a lone surrogate.")
        return data


def _has_lone_surrogate(data) -> bool:
    if isinstance(data, str):
        return _LONE_SURROGATE.search(data) is not None
    if isinstance(data, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_has_lone_surrogate(item) for item in data)
    return False
