"""These references are checked once per statement by triggers, not per row by constraints
(customers.references)."""

import django.db.models.deletion
from django.db import migrations, models

from customers.references import migration_operation


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_references_checked_per_statement'),
        ('preferences', '0002_opt_ins_since_contact_order_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='preferenceoptin',
            name='customer',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='preference_opt_ins', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='preferenceoptin',
            name='preference',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='opt_ins', to='preferences.preference'),
        ),
        migration_operation("preferences.PreferenceOptIn"),
    ]
