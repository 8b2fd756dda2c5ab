import customers.normalisation
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_references_checked_per_statement'),
    ]

    operations = [
        migrations.AlterField(
            model_name='customer',
            name='phone',
            field=models.CharField(blank=True, help_text='E.164', max_length=20, null=True, validators=[customers.normalisation.validate_e164_phone]),
        ),
    ]
