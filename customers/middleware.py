import io
import logging
import re
import uuid

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse

from .api.dialects import DatabaseUnavailable, dialect_of_path, is_database_unavailable

logger = logging.getLogger("consent.errors")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestIdMiddleware:
    """Gives every request an id (the caller's X-Request-ID when sane), echoed in the response.

    The ledger records it, so one change can be traced from the caller's logs to ours.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


# Set in the WSGI environ once a chunked body was read (an empty one included).
CHUNKED_BODY_READ = "consent.chunked_body_read"


class ChunkedBodyMiddleware:
    """Reads a body sent with `Transfer-Encoding: chunked` and no Content-Length.

    Django reads only Content-Length bytes of a body, so such a body would silently be empty. When
    the server says its input stream ends where the body ends (`wsgi.input_terminated`, as
    gunicorn does), we read it, up to one byte past DATA_UPLOAD_MAX_MEMORY_SIZE so that a body
    too large is still refused as one (413). Otherwise API views answer 411 (see the base view).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        environ = getattr(request, "environ", {})
        if (
            "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
            and not environ.get("CONTENT_LENGTH")
            and environ.get("wsgi.input_terminated")
        ):
            body = environ["wsgi.input"].read(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ[CHUNKED_BODY_READ] = True
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A 503 with Retry-After, quickly, for any request the database could not serve.

    API views answer in their dialect themselves (customers.api.dialects); this covers the
    other views (hosted pages, the admin) and unknown paths under an API prefix. Errors raised
    by other middleware are answered by config.views.server_error in the same way. Nothing is
    kept: the broken connection is closed at the end of the request, and the next request
    connects afresh, so the service recovers by itself when the database is back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("database unavailable: %s", exception)
        return database_unavailable_response(request)


def database_unavailable_response(request) -> HttpResponse:
    """The route's dialect JSON 503, or a small HTML page outside the APIs."""
    retry_after = str(settings.DATABASE_UNAVAILABLE_RETRY_AFTER)
    headers = {"Retry-After": retry_after, "Cache-Control": "no-store"}
    dialect = dialect_of_path(request.path_info)
    if dialect is not None:
        return dialect.error_response(503, DatabaseUnavailable.default_detail, headers=headers)
    response = HttpResponse(_UNAVAILABLE_PAGE, status=503, headers=headers)
    response["Content-Type"] = "text/html; charset=utf-8"
    return response


_UNAVAILABLE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Temporarily unavailable</title></head><body><main>"
    "<h1>Temporarily unavailable</h1><p>Please try again in a few moments.</p>"
    "</main></body></html>"
)
