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
