"""These references are checked once per statement by triggers, not per row by constraints
(customers.references)."""

import django.db.models.deletion
from django.db import migrations, models

from customers.references import migration_operation


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_references_checked_per_statement'),
        ('subscriptions', '0003_rekey_idn_addresses'),
    ]

    operations = [
        migrations.AlterField(
            model_name='suppression',
            name='organisation',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='suppressions', to='customers.organisation'),
        ),
        migration_operation("subscriptions.Suppression"),
    ]
