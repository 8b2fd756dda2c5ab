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

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

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
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_FAILED",
    429: "RATE_LIMITED",
}


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

    def handle_exception(self, exc, context):
        """A DRF exception handler for views of this dialect."""
        response = drf_exception_handler(exc, context)
        if response is None:
            return None  # not an API error: let it be a 500 and be seen
        info = self.describe(exc, response.status_code)
        response.status_code = info.status
        response.data = self.body(info)
        return response

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
        413: "The request body is too large",
        415: "The request body is not JSON",
        422: "Invalid input",
        429: "Rate limit exceeded",
        503: "The service is temporarily unavailable (database down)",
    }.get(status, "Error")


class CustomersDialect(Dialect):
    """Seed 004: `{"success": false, "status": "<reason>"}`."""

    name = "customers"
    tag = "Customers and email logs"

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
    """Seed 002: `{"message": …, "errorCode": …}`."""

    name = "v2"
    tag = "Preferences and subscriptions v2"

    def body(self, info):
        return {"message": info.message, "errorCode": info.code}

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
