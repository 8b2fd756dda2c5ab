"""Background work of the optout app (Celery; in-process when no broker is configured)."""

from celery import shared_task
from django.db import DatabaseError

from . import services


@shared_task(
    bind=True,
    # A database hiccup (connection lost, deadlock, serialisation failure) is retried with
    # exponential backoff; the service's transaction means a failed try applied nothing.
    autoretry_for=(DatabaseError,),
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=10,
)
def apply_queued_message(self, processed_message_id: int) -> str:
    """Apply a queued POST …/optoutstatus. Idempotent: a retry or redelivery never re-applies."""
    result = services.optout_queued_message_apply(processed_message_id=processed_message_id)
    if result is None:
        return "nothing to do"
    return f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}"
