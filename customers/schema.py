"""How the OpenAPI document at /api/schema/ is built: one mechanism for every route.

- `ConsentAutoSchema` (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS) gives every API operation the
  error responses it can answer, in its view's dialect (customers.api.dialects): 401 and 429
  where credentials are needed, 403 on writes, 404 where the path names something, 400 (and the
  dialect's validation status) where there is input, 413 and 415 where there is a body, 503
  everywhere. A new view gets them without writing them down. It also names the operation's tag
  after the dialect, never shows a view's class docstring as a description, and keeps request
  component names free of doubled suffixes.
- `plain_view_schema` documents a route that is not a DRF view (health, hosted HTML pages);
  `add_plain_views` (a postprocessing hook) puts those routes in the document.
- `routes()` walks the URL config: the schema test and the access matrix use it, so a new route
  is checked without anyone listing it.
"""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny


class BasicAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "customers.authentication.CachedBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "customers.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


class ApiKeyHeaderAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "customers.authentication.ApiKeyHeaderAuthentication"
    name = "apiKeyHeader"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-SWU-API-KEY"}


# Routes served at a second mount for the vendors' clients: the same view under another path.
# Each copy needs its own operationId (and is tagged apart), else the schema has collisions.
SECOND_MOUNTS = (
    # (path prefix, operationId prefix, tag)
    ("/api/v1/", "sendwithus_", "Sendwithus clients (seed 004 under /api/v1/)"),
    ("/v2/contact/", "singular-", "v2: singular /v2/contact/ aliases"),
)


def name_second_mounts(result, generator, request, public):
    """drf-spectacular postprocessing hook: distinct operationIds and tags for second mounts."""
    for path, methods in result.get("paths", {}).items():
        for prefix, operation_prefix, tag in SECOND_MOUNTS:
            if not path.startswith(prefix):
                continue
            for operation in methods.values():
                operation["operationId"] = operation_prefix + operation["operationId"]
                operation["tags"] = [tag]
    return result


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}


# Path parameters that mean the same thing on every route are described the same way.
_UUID = {"type": "string", "format": "uuid"}
PATH_PARAMETER_SCHEMAS = {
    "customer_uuid": _UUID,
    "customerId": _UUID,
    "department_uuid": _UUID,
    "email": {"type": "string", "format": "email", "maxLength": 254},
    "date": {
        "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
    },
}


class ConsentAutoSchema(AutoSchema):
    def get_description(self):
        # Only what the operation itself says (extend_schema's description, or the handler
        # method's own docstring): a view's class docstring is for developers, not API clients.
        handler = getattr(self.view, self.method.lower(), None)
        return (handler.__doc__ or "").strip() if handler else ""

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        # COMPONENT_SPLIT_REQUEST appends "Request"; a serializer already named …Request keeps one.
        if name.endswith("RequestRequest"):
            name = name[: -len("Request")]
        return name

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        # A serializer's docstring is for developers (and may be inherited): not for API clients.
        schema.pop("description", None)
        if direction == "request" and getattr(serializer, "reject_unknown_fields", False):
            schema["additionalProperties"] = False
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # DRF refuses NUL in every CharField; say so where no pattern or format already does.
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not isinstance(field, serializers.RegexField)
            and isinstance(schema, dict)
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & set(schema)
        ):
            schema["pattern"] = "^[^\\x00]*$"
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        dialect = getattr(self.view, "dialect", None)
        if dialect is None:
            return operation
        operation["tags"] = [dialect.tag]
        if "requestBody" in operation:
            operation["requestBody"]["required"] = True  # no route takes an empty body
            self._add_list_bounds(operation["requestBody"])
        for parameter in operation.get("parameters", []):
            known = PATH_PARAMETER_SCHEMAS.get(parameter["name"])
            if parameter["in"] == "path" and known:
                parameter["schema"] = dict(known)
        responses = operation["responses"]
        for status in sorted(self.error_statuses(operation, dialect)):
            if str(status) in responses:
                continue
            [response] = dialect.error_responses(status).values()
            responses[str(status)] = self._get_response_for_code(response, str(status))
            if status in (429, 503):
                responses[str(status)]["headers"] = RETRY_AFTER
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _add_list_bounds(self, request_body):
        """A many=True body's min_length and max_length as minItems and maxItems."""
        serializer = self.get_request_serializer()
        if not isinstance(serializer, serializers.ListSerializer):
            return
        for media in request_body.get("content", {}).values():
            schema = media.get("schema", {})
            if schema.get("type") != "array":
                continue
            if serializer.min_length is not None:
                schema["minItems"] = serializer.min_length
            if serializer.max_length is not None:
                schema["maxItems"] = serializer.max_length

    def error_statuses(self, operation, dialect) -> set[int]:
        """Every error status this operation can answer."""
        statuses = {503}
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            statuses |= {401, 429}
            if self.method not in SAFE_METHODS and not getattr(self.view, "reads_only", False):
                statuses.add(403)
        parameters = operation.get("parameters", [])
        if any(parameter["in"] == "path" for parameter in parameters):
            statuses.add(404)
        if parameters or "requestBody" in operation:
            statuses |= {400, dialect.validation_status}
        if "requestBody" in operation:
            statuses |= {413, 415}
        return statuses


# Routes that are not DRF views ---------------------------------------------------------------
def plain_view_schema(**operations):
    """Document a plain Django view: `@plain_view_schema(get={…operation…}, post={…})`.

    Each value is an OpenAPI operation object (summary, description, tags, parameters,
    responses); path parameters are added from the URL pattern when not given.
    """

    def decorate(view):
        view.openapi_operations = operations
        return view

    return decorate


def html_response(description: str) -> dict:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def add_plain_views(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the routes documented with plain_view_schema."""
    paths = result.setdefault("paths", {})
    for route in routes():
        operations = getattr(route.callback, "openapi_operations", None)
        if not operations:
            continue
        item = paths.setdefault(route.openapi_path, {})
        for method, operation in operations.items():
            operation = {**operation}
            given = {p["name"] for p in operation.get("parameters", [])}
            operation["parameters"] = [
                *operation.get("parameters", []),
                *(
                    {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                    for name in route.parameters
                    if name not in given
                ),
            ]
            if not operation["parameters"]:
                del operation["parameters"]
            operation.setdefault("security", [])
            item[method] = operation
    result["paths"] = dict(sorted(paths.items()))
    return result


# The URL config -------------------------------------------------------------------------------
_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")

# Routes that are not part of the API document: the admin, and the document and its viewer.
UNDOCUMENTED_PREFIXES = ("admin/", "api/schema/", "api/docs/", "static/")
# The catch-alls that answer unknown paths under a dialect's prefix with its JSON 404.
UNDOCUMENTED_NAMES = ("service-unknown-path", "v2-unknown-path")


@dataclass(frozen=True)
class Route:
    pattern: str  # Django's route, "customers/<str:email>/logs"
    name: str | None  # with its namespace, "sendwithus:customers-logs", as reverse() takes it
    callback: object

    @property
    def openapi_path(self) -> str:
        return "/" + _PARAMETER.sub(r"{\1}", self.pattern)

    @property
    def parameters(self) -> list[str]:
        return _PARAMETER.findall(self.pattern)

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def documented(self) -> bool:
        return (
            not self.pattern.startswith(UNDOCUMENTED_PREFIXES)
            and self.name not in UNDOCUMENTED_NAMES
        )


def routes(resolver=None, prefix: str = "", namespace: str = "") -> list[Route]:
    """Every route of the URL config, with its full pattern and namespaced name."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += routes(entry, pattern, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            found.append(Route(pattern=pattern, name=name, callback=entry.callback))
    return found
