"""On PostgreSQL the database itself refuses changes to the consent ledger.

UPDATE and DELETE are rejected, except the one redaction erasure performs (blanking ip_address
and user_agent, nothing else) while `consent.ledger_redaction` is on in that transaction.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION customers_consentevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('consent.ledger_redaction', true) = 'on'
       AND NEW.ip_address IS NULL AND NEW.user_agent = ''
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

CREATE TRIGGER customers_consentevent_append_only
    BEFORE UPDATE OR DELETE ON customers_consentevent
    FOR EACH ROW EXECUTE FUNCTION customers_consentevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS customers_consentevent_append_only ON customers_consentevent;
DROP FUNCTION IF EXISTS customers_consentevent_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
