"""The front door and the health endpoints for load balancers (no credentials, plain JSON)."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
def home(request):
    """A small landing page: where the admin, the API documents and the health checks are."""
    return render(request, "home.html", {"service_name": settings.SERVICE_NAME})


@never_cache
@require_GET
def healthz(request):
    """The process is up and serving."""
    return JsonResponse({"status": "ok"})


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
