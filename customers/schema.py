"""drf-spectacular descriptions of our authentication classes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
