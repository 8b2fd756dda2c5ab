"""These references are checked once per statement by triggers, not per row by constraints
(customers.references)."""

import django.db.models.deletion
from django.db import migrations, models

from customers.references import migration_operation


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0008_customer_import_digest'),
    ]

    operations = [
        migrations.AlterField(
            model_name='consentevent',
            name='customer',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='consent_events', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='consentevent',
            name='organisation',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='consent_events', to='customers.organisation'),
        ),
        migrations.AlterField(
            model_name='customer',
            name='organisation',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='customers', to='customers.organisation'),
        ),
        migration_operation("customers.Customer", "customers.ConsentEvent"),
    ]
