"""Rewrite the admin history written before it stopped naming objects (customers.admin_history):
object names and inline object names of this project's models go, model, id and fields stay."""

from django.db import migrations

APPS = ("customers", "preferences", "subscriptions", "optout", "emaillogs")


def rewrite(apps, schema_editor):
    from customers.admin_history import neutral_message

    LogEntry = apps.get_model("admin", "LogEntry")
    entries = LogEntry.objects.filter(content_type__app_label__in=APPS).select_related(
        "content_type"
    )
    for entry in entries.iterator():
        try:
            model = apps.get_model(entry.content_type.app_label, entry.content_type.model)
            name = model._meta.verbose_name
        except LookupError:  # a model removed since
            name = entry.content_type.model
        entry.object_repr = f"{name} #{entry.object_id}"[:200]
        entry.change_message = neutral_message(entry.change_message)
        entry.save(update_fields=["object_repr", "change_message"])


class Migration(migrations.Migration):
    dependencies = [
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0004_rekey_idn_addresses"),
    ]

    operations = [migrations.RunPython(rewrite, migrations.RunPython.noop)]
