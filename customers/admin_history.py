"""The admin's own history (django.contrib.admin LogEntry) without personal data.

Django writes `str(obj)` into `LogEntry.object_repr` and the names of added, changed or deleted
inline objects into `change_message`; a customer's `str` is their email. Erasure could not find
every such copy (a suppression's or an opt-out status's repr holds the address too), so the
admin never writes them: the history names objects by model and id ("customer #42") and keeps
which fields changed, never values or object names. Migration customers 0005 rewrote the rows
written before.
"""

import json

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.admin.options import get_content_type_for_model


def neutral_repr(obj) -> str:
    return f"{obj._meta.verbose_name} #{obj.pk}"


def neutral_message(message) -> str:
    """A change message (list or JSON text) without the names of inline objects."""
    if isinstance(message, str):
        if not message:
            return ""
        try:
            message = json.loads(message)
        except ValueError:
            return ""  # free text: nobody can tell what it holds
    if not isinstance(message, list):
        return ""
    cleaned = []
    for item in message:
        if not isinstance(item, dict):
            continue
        cleaned.append(
            {
                action: {key: value for key, value in details.items() if key != "object"}
                if isinstance(details, dict)
                else {}
                for action, details in item.items()
            }
        )
    return json.dumps(cleaned)


class NeutralHistoryMixin:
    """ModelAdmin mixin: log additions, changes and deletions with neutral_repr/neutral_message."""

    def _log(self, request, objects, action_flag, message=""):
        entries = [
            LogEntry(
                user_id=request.user.pk,
                content_type_id=get_content_type_for_model(obj).pk,
                object_id=str(obj.pk),
                object_repr=neutral_repr(obj)[:200],
                action_flag=action_flag,
                change_message=neutral_message(message),
            )
            for obj in objects
        ]
        return LogEntry.objects.bulk_create(entries)

    def log_addition(self, request, obj, message):
        return self._log(request, [obj], ADDITION, message)[0]

    def log_change(self, request, obj, message):
        return self._log(request, [obj], CHANGE, message)[0]

    def log_deletions(self, request, queryset):
        return self._log(request, list(queryset), DELETION)
