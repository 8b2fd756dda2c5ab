"""Ledger events keep the consent record a client sent with the change (text, time, URL, IP,
user agent). Erasure's redaction may now also blank it, and nothing else."""

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION customers_consentevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('consent.ledger_redaction', true) = 'on'
       AND NEW.ip_address IS NULL AND NEW.user_agent = '' AND NEW.consent IS NULL
       AND (NEW.id, NEW.organisation_id, NEW.customer_id, NEW.subject_key, NEW.kind, NEW.target,
            NEW.old_value, NEW.new_value, NEW.source, NEW.source_detail, NEW.actor,
            NEW.request_id, NEW.occurred_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.organisation_id, OLD.customer_id, OLD.subject_key, OLD.kind, OLD.target,
            OLD.old_value, OLD.new_value, OLD.source, OLD.source_detail, OLD.actor,
            OLD.request_id, OLD.occurred_at)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent events are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS = CREATE.replace(" AND NEW.consent IS NULL", "")


def replace_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def restore_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_admin_history_without_personal_data")]

    operations = [
        migrations.AddField(
            model_name="consentevent",
            name="consent",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.RunPython(replace_function, restore_function),
    ]
