"""The front door and the health endpoints for load balancers (no credentials, plain JSON)."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

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
@require_GET
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
@require_GET
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
@require_GET
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
