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
