"""Per-dialect error envelopes: one mechanism, five vendor shapes and our own.

Each vendor dialect answers errors in its own JSON shape (DESIGN §4). A view declares its dialect
(`dialect = LOYALTY`) and every error it raises, or that DRF raises for it (401, 403, 404, 405,
415, 429, parse and validation errors), is rendered by that dialect. Status codes and headers
(`WWW-Authenticate`, `Retry-After`) come from DRF's own handler; the dialect only shapes the body.

Views raise `DialectError` for errors the documents word exactly (a loyalty message, say), and
DRF's `ValidationError` or Django's `Http404` for the rest.
"""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.views import exception_handler as drf_exception_handler

from ..parsers import CaseInsensitiveJSONParser
from .negotiation import JSONWhateverTheHeaders

logger = logging.getLogger("consent.errors")

_CODES = {
    400: "INVALID_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    410: "GONE",
    411: "LENGTH_REQUIRED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_FAILED",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}

# Errors of the database connection (refused, dropped, timed out, server shutting down): the
# request could not be served now, and may be retried.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)


class DialectError(exceptions.APIException):
    """An error with an exact message and code, rendered in the view's dialect."""

    def __init__(self, message: str, *, status: int = 400, code: str | None = None):
        self.status_code = status
        self.error_code = code or _CODES.get(status, "ERROR")
        super().__init__(detail=message, code=self.error_code)


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class LengthRequired(exceptions.APIException):
    status_code = 411
    default_detail = "A request body needs a Content-Length header."
    default_code = "length_required"


class DatabaseUnavailable(exceptions.APIException):
    """The database cannot be reached: 503 with Retry-After (DRF sends `wait` as the header)."""

    status_code = 503
    default_detail = "The service is temporarily unavailable; retry shortly."
    default_code = "service_unavailable"

    def __init__(self):
        super().__init__()
        self.wait = settings.DATABASE_UNAVAILABLE_RETRY_AFTER


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc`, or one it was raised from or during, is a database connection error."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


@dataclass
class ErrorInfo:
    """What went wrong, independent of how a dialect words it."""

    status: int
    code: str
    message: str
    # (field path, message) pairs for validation errors; empty otherwise.
    field_errors: list[tuple[str, str]]


def flatten_errors(detail, path: str = "") -> list[tuple[str, str]]:
    """DRF's nested error detail as (path, message) pairs: `items[2].email`, `non_field_errors`."""
    if isinstance(detail, dict):
        pairs = []
        for key, value in detail.items():
            pairs += flatten_errors(value, f"{path}.{key}" if path else str(key))
        return pairs
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [(path, str(item)) for item in detail]
        pairs = []
        for index, item in enumerate(detail):
            pairs += flatten_errors(item, f"{path}[{index}]")
        return pairs
    return [(path, str(detail))]


class Dialect:
    """Shapes error bodies for one API dialect. Subclasses override `body` (and the schema)."""

    name = "service"
    # The OpenAPI tag of every operation of this dialect.
    tag = "Consent service (/consent/v1/)"
    # Status for invalid input; the marketing preferences dialect answers 422.
    validation_status = 400
    # How request and answer formats are chosen from Content-Type and Accept.
    content_negotiation_class = DefaultContentNegotiation
    # Request body parsers; None means the project's default (strict JSON).
    parser_classes = None

    def handle_exception(self, exc, context):
        """A DRF exception handler for views of this dialect."""
        if is_database_unavailable(exc):
            logger.warning("database unavailable: %s", exc)
            exc = DatabaseUnavailable()
        elif isinstance(exc, RequestDataTooBig):
            exc = PayloadTooLarge()
        elif isinstance(exc, SuspiciousOperation):  # too many query fields, say
            exc = exceptions.ParseError(str(exc))
        response = drf_exception_handler(exc, context)
        if response is None:
            return None  # not an API error: let it be a 500 and be seen
        info = self.describe(exc, response.status_code)
        response.status_code = info.status
        response.data = self.body(info)
        return response

    def error_response(self, status: int, message: str, headers=None) -> JsonResponse:
        """This dialect's error as a plain Django response, for errors raised outside a view."""
        info = ErrorInfo(
            status=status, code=_CODES.get(status, "ERROR"), message=message, field_errors=[]
        )
        return JsonResponse(self.body(info), status=status, headers=headers)

    def describe(self, exc, status: int) -> ErrorInfo:
        field_errors = []
        if isinstance(exc, exceptions.ValidationError):
            status = self.validation_status
            field_errors = flatten_errors(exc.detail)
            message = self.validation_message(field_errors)
        else:
            detail = getattr(exc, "detail", None)
            message = str(detail) if detail is not None else str(exc) or "Not found."
        code = getattr(exc, "error_code", None) or _CODES.get(status, "ERROR")
        return ErrorInfo(status=status, code=code, message=message, field_errors=field_errors)

    def validation_message(self, field_errors) -> str:
        if not field_errors:
            return "The request is invalid."
        path, message = field_errors[0]
        if not path or path == "non_field_errors":
            return message
        return f"{path}: {message}"

    def body(self, info: ErrorInfo) -> dict:
        body = {"code": info.code, "message": info.message}
        if info.field_errors:
            body["errors"] = _errors_by_field(info.field_errors)
        return body

    # Schema ------------------------------------------------------------------------------------
    def error_serializer(self):
        return inline_serializer(
            name="ServiceError",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "errors": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
        )

    def error_responses(self, *statuses: int) -> dict:
        """`responses` entries for extend_schema: {status: this dialect's error shape}."""
        if "_error_serializer" not in self.__dict__:
            # Built once, so the schema has one component per dialect, not one per use.
            self._error_serializer = self.error_serializer()
        return {
            status: OpenApiResponse(self._error_serializer, description=_describe_status(status))
            for status in statuses
        }


def _errors_by_field(field_errors) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for path, message in field_errors:
        errors.setdefault(path or "non_field_errors", []).append(message)
    return errors


def _describe_status(status: int) -> str:
    return {
        400: "Invalid input",
        401: "Missing or bad credentials",
        403: "The API user may not do this (read-only)",
        404: "Not found in the caller's organisation",
        405: "Method not allowed",
        410: "Gone",
        411: "A body was sent without Content-Length and could not be read",
        413: "The body is too large, too deeply nested or has too many items",
        415: "The request body is not JSON",
        422: "Invalid input",
        429: "Rate limit exceeded",
        503: "The database is unavailable; retry after Retry-After seconds",
    }.get(status, "Error")


class CustomersDialect(Dialect):
    """Seed 004: `{"success": false, "status": "<reason>"}`."""

    name = "customers"
    tag = "Customers and email logs"
    # Its clients label JSON text/plain and ask for text/plain: JSON both ways regardless.
    content_negotiation_class = JSONWhateverTheHeaders

    def body(self, info):
        return {"success": False, "status": info.message}

    def error_serializer(self):
        return inline_serializer(
            name="CustomersError",
            fields={"success": serializers.BooleanField(), "status": serializers.CharField()},
        )


class MarketingPreferencesDialect(Dialect):
    """Seed 000: `{"message": …, "errors": {field: [..]}}`, invalid input is 422."""

    name = "marketing-preferences"
    tag = "Customer marketing preferences"
    validation_status = 422

    def body(self, info):
        body = {"message": info.message}
        if info.status == 422:
            body["errors"] = _errors_by_field(info.field_errors) if info.field_errors else {}
        return body

    def error_serializer(self):
        return inline_serializer(
            name="MarketingPreferencesError",
            fields={
                "message": serializers.CharField(),
                "errors": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
        )


class LoyaltyDialect(Dialect):
    """Seed 001: `{"statusCode": 400, "errorMessage": …, "errorCode": "INVALID_REQUEST"}`."""

    name = "loyalty"
    tag = "Loyalty marketing subscription"

    def body(self, info):
        return {"statusCode": info.status, "errorMessage": info.message, "errorCode": info.code}

    def error_serializer(self):
        return inline_serializer(
            name="LoyaltyError",
            fields={
                "statusCode": serializers.IntegerField(),
                "errorMessage": serializers.CharField(),
                "errorCode": serializers.CharField(),
            },
        )


class V2Dialect(Dialect):
    """Seed 002: `{"message": "… ERROR_CODE", "errorCode": "ERROR_CODE"}`.

    The vendor's clients find an error by its top-level `message` and map the `ERROR_…` code at
    its end to an exception, so every message ends with its code, as the vendor writes them:
    `{"message": "Contact not found. ERROR_CONTACT_NOT_FOUND", "errorCode": …}`.
    """

    name = "v2"
    tag = "Preferences and subscriptions v2"
    # Request keys bind whatever their case: older clients send PascalCase.
    parser_classes = (CaseInsensitiveJSONParser,)

    # Our generic codes as the vendor names them, where it has a name (its clients map a code to
    # an exception class); the others become ERROR_<code>.
    VENDOR_CODES = {
        "INVALID_REQUEST": "ERROR_PARAMETER_INVALID",
        "UNAUTHORIZED": "ERROR_INVALID_LOGIN",
        "FORBIDDEN": "ERROR_CANNOT_PERFORM_OPERATION_ON_ACCOUNT",
        "UNSUPPORTED_MEDIA_TYPE": "ERROR_CONTENT_TYPE_IS_NOT_SUPPORTED",
        "RATE_LIMITED": "ERROR_APIUSAGE_EXCEEDED",
    }

    def body(self, info):
        code = self.VENDOR_CODES.get(info.code, info.code)
        code = code if code.startswith("ERROR_") else f"ERROR_{code}"
        message = info.message if info.message.endswith(code) else f"{info.message} {code}"
        return {"message": message, "errorCode": code}

    def error_serializer(self):
        return inline_serializer(
            name="V2Error",
            fields={"message": serializers.CharField(), "errorCode": serializers.CharField()},
        )


class OptOutDialect(Dialect):
    """Seed 003: `{"errors": [{errorCode, errorDescription, errorUID}], "warnings": []}`.

    Every error gets a fresh errorUID, logged here so support can find it from the caller's copy.
    """

    name = "optout"
    tag = "Communication opt-out"

    def body(self, info):
        items = [(path, message) for path, message in info.field_errors] or [("", info.message)]
        errors = []
        for path, message in items:
            error_uid = str(uuid.uuid4())
            description = f"{path}: {message}" if path and path != "non_field_errors" else message
            logger.warning(
                "optout error %s %s (%s): %s", error_uid, info.code, info.status, description
            )
            errors.append(
                {"errorCode": info.code, "errorDescription": description, "errorUID": error_uid}
            )
        return {"errors": errors, "warnings": []}

    def error_serializer(self):
        return inline_serializer(
            name="OptOutError",
            fields={
                "errors": inline_serializer(
                    name="OptOutErrorItem",
                    many=True,
                    fields={
                        "errorCode": serializers.CharField(),
                        "errorDescription": serializers.CharField(),
                        "errorUID": serializers.CharField(),
                    },
                ),
                "warnings": serializers.ListField(child=serializers.DictField()),
            },
        )


SERVICE = Dialect()
CUSTOMERS = CustomersDialect()
MARKETING_PREFERENCES = MarketingPreferencesDialect()
LOYALTY = LoyaltyDialect()
V2 = V2Dialect()
OPTOUT = OptOutDialect()


def dialect_of_path(path: str) -> Dialect | None:
    """The dialect of the API route serving `path`, or None for pages, the admin and the rest.

    Unknown paths under an API's prefix speak that API's dialect.
    """
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path)
    except Resolver404:
        match = None
    view_class = getattr(getattr(match, "func", None), "view_class", None)
    dialect = getattr(view_class, "dialect", None)
    if isinstance(dialect, Dialect):
        return dialect
    for prefix, by_prefix in _DIALECT_PREFIXES:
        if path.startswith(prefix):
            return by_prefix
    return None


_DIALECT_PREFIXES = [("/consent/v1/", SERVICE), ("/v2/", V2)]
