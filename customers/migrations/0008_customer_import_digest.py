"""customers.import_digest: the digest of the import record that last wrote a customer.

On PostgreSQL a trigger clears it whenever anything but the import updates a customer row (the
import says so with `SET LOCAL consent.import_digest_writer = 'on'`); the WHEN clause is
evaluated without calling a function. Inserts are not watched, so the import's own inserts pay
nothing: the field is not editable, and no other code gives a new customer a digest.
"""

from django.db import migrations, models

FORWARD = """
CREATE FUNCTION customers_customer_import_digest_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.import_digest := NULL;
    RETURN NEW;
END;
$$;
CREATE TRIGGER customers_customer_import_digest_clear
BEFORE UPDATE ON customers_customer
FOR EACH ROW
WHEN (NEW.import_digest IS NOT NULL
      AND current_setting('consent.import_digest_writer', true) IS DISTINCT FROM 'on')
EXECUTE FUNCTION customers_customer_import_digest_clear();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS customers_customer_import_digest_clear ON customers_customer;
DROP FUNCTION IF EXISTS customers_customer_import_digest_clear();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("customers", "0007_customer_uuid_time_ordered")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="import_digest",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
