from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0010_customer_phone_e164'),
        ('preferences', '0003_references_checked_per_statement'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='preferenceoptin',
            name='optin_pref_cust_modified_idx',
        ),
        migrations.AddIndex(
            model_name='preferenceoptin',
            index=models.Index(fields=['preference', 'customer', 'modified_at'], include=('opted_in',), name='optin_pref_cust_modified_idx'),
        ),
    ]
