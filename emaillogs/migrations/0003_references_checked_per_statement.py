"""These references are checked once per statement by triggers, not per row by constraints
(customers.references)."""

import django.db.models.deletion
from django.db import migrations, models

from customers.references import migration_operation


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_references_checked_per_statement'),
        ('emaillogs', '0002_email_events'),
    ]

    operations = [
        migrations.AlterField(
            model_name='emaillog',
            name='customer',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='email_logs', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='emaillog',
            name='organisation',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='email_logs', to='customers.organisation'),
        ),
        migration_operation("emaillogs.EmailLog"),
    ]
