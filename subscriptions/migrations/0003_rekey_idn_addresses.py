"""Addresses are now compared with their domain in Unicode ("münchen.de", not "xn--mnchen-3ya.de"):
re-key the rows stored with a punycode domain. Where the Unicode spelling already has its own row,
the old row is left as it is (the address stays suppressed/known through the other row)."""

from django.db import IntegrityError, migrations, transaction


def rekey(apps, schema_editor):
    from customers.normalisation import address_key, normalise_email

    Suppression = apps.get_model("subscriptions", "Suppression")
    for entry in Suppression.objects.filter(email__contains="xn--").iterator():
        email = normalise_email(entry.email)
        if email != entry.email:
            try:
                with transaction.atomic():
                    Suppression.objects.filter(pk=entry.pk).update(
                        email=email, address_key=address_key(email)
                    )
            except IntegrityError:
                pass


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_rekey_idn_addresses"),
        ("subscriptions", "0002_email_one_syntax"),
    ]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
