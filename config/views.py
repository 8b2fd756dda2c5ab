"""The front door, health endpoints for load balancers, the API docs page, and the answers to
errors that no view handled: a 500 (or a 503 while the database is down) and unknown paths under
an API."""

import sys

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.exceptions import NotFound

from customers.api.base import OrganisationScopedView
from customers.api.dialects import SERVICE, V2, dialect_of_path, is_database_unavailable
from customers.middleware import database_unavailable_response
from customers.schema import html_response, plain_view_schema


@plain_view_schema(
    get={
        "operationId": "home",
        "summary": "Landing page",
        "description": "A small HTML page linking the admin, the API documents and health checks.",
        "tags": ["Hosted pages"],
        "responses": {"200": html_response("The landing page")},
    }
)
@csrf_exempt
@require_safe
def home(request):
    """A small landing page: where the admin, the API documents and the health checks are."""
    return render(request, "home.html", {"service_name": settings.SERVICE_NAME})


HEALTH = "Health"


def _status_schema(**properties):
    return {
        "type": "object",
        "properties": {
            name: {"type": "string", "enum": values} for name, values in properties.items()
        },
        "required": list(properties),
    }


def _json(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


@plain_view_schema(
    get={
        "operationId": "healthz",
        "summary": "Liveness",
        "description": "The process is up and serving; needs no credentials and no database.",
        "tags": [HEALTH],
        "responses": {"200": _json("Up", _status_schema(status=["ok"]))},
    }
)
# csrf_exempt: another method is a 405, not CSRF's 403 (nothing here takes a form).
@csrf_exempt
@never_cache
@require_safe
def healthz(request):
    """The process is up and serving."""
    return JsonResponse({"status": "ok"})


@plain_view_schema(
    get={
        "operationId": "readyz",
        "summary": "Readiness",
        "description": "The database answers: 200 when it does, 503 while it does not.",
        "tags": [HEALTH],
        "responses": {
            "200": _json("Ready", _status_schema(status=["ok"], database=["up"])),
            "503": _json(
                "The database is unreachable",
                _status_schema(status=["unavailable"], database=["down"]),
            ),
        },
    }
)
# csrf_exempt: another method is a 405, not CSRF's 403 (nothing here takes a form).
@csrf_exempt
@never_cache
@require_safe
def readyz(request):
    """The database answers; 503 while it does not, recovering by itself when it does again."""
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # Drop the broken connection so the next probe reconnects instead of reusing it.
        if not connection.in_atomic_block:
            connection.close()
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


def server_error(request):
    """handler500: an error raised outside any view's own handling (in middleware, say).

    A database that cannot be reached is a 503 with Retry-After, in the route's dialect; any other
    error is a 500, as the route's dialect JSON under an API and Django's page elsewhere.
    """
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        return database_unavailable_response(request)
    dialect = dialect_of_path(request.path_info)
    if dialect is not None:
        return dialect.error_response(500, "Internal server error.")
    return defaults.server_error(request)


class ApiDocsView(SpectacularSwaggerView):
    """The interactive API docs. OPTIONS answers which methods there are, not a rendered page."""

    def options(self, request, *args, **kwargs):
        return HttpResponse(status=200, headers={"Allow": ", ".join(self.allowed_methods)})


class _UnknownPath(OrganisationScopedView):
    """The end of an API's URL space: any other path under its prefix is its dialect's 404."""

    # Answered before authentication: an unknown path names nothing, so there is nothing to guard.
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    def initial(self, request, *args, **kwargs):
        raise NotFound("No such route.")

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound("No such route.")


class ServiceUnknownPathView(_UnknownPath):
    dialect = SERVICE


class V2UnknownPathView(_UnknownPath):
    dialect = V2
