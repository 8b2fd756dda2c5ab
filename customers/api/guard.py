"""One guard for the path and query parameters of every API route; the base view runs it.

Parameters reach selectors as text, and some text can name nothing and fails deep inside a query
or a library instead: NUL (PostgreSQL refuses it in text), lone surrogates (they cannot be
encoded), values longer than any identifier we hold, more query fields than Django parses. Each
is refused before any work is done, whatever the route: a path parameter that can name nothing
is the dialect's 404 (as any identifier that names nothing), a query parameter its invalid-input
error (400; 422 in the marketing preferences dialect).
"""

import re

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from rest_framework.exceptions import NotFound, ValidationError

_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def check_parameters(request, path_parameters: dict) -> None:
    """Raise NotFound for an unusable path parameter, ValidationError for a query parameter."""
    for value in path_parameters.values():
        if parameter_problem(value):
            raise NotFound("Not found.")
    try:
        query = list(request.query_params.lists())
    except TooManyFieldsSent as exc:
        raise ValidationError({"query": [str(exc)]}) from exc
    items = [(name, name) for name, _ in query]
    items += [(name, value) for name, values in query for value in values]
    for name, value in items:
        problem = parameter_problem(value)
        if problem:
            raise ValidationError({_printable(name): [problem]})


def parameter_problem(value) -> str | None:
    if not isinstance(value, str):
        return None
    if len(value) > settings.API_MAX_PARAMETER_LENGTH:
        return f"Ensure this value has at most {settings.API_MAX_PARAMETER_LENGTH} characters."
    if _UNSAFE.search(value):
        return "Must not contain NUL characters or unpaired surrogates."
    return None


def _printable(name: str) -> str:
    # The name is echoed in the error body: it must be encodable and short itself.
    return _UNSAFE.sub("\ufffd", name)[:100]
