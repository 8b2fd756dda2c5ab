"""Addresses are now compared with their domain in Unicode ("münchen.de", not "xn--mnchen-3ya.de"):
re-key the rows stored with a punycode domain. Where the Unicode spelling already has its own row,
the old row is left as it is (the address stays suppressed/known through the other row)."""

from django.db import IntegrityError, migrations, transaction


def rekey(apps, schema_editor):
    from customers.normalisation import normalise_email

    CommunicationStatus = apps.get_model("optout", "CommunicationStatus")
    statuses = CommunicationStatus.objects.filter(
        communication_type="EMAIL", communication_value__contains="xn--"
    ).exclude(communication_value__startswith="erased:")
    for status in statuses.iterator():
        value = normalise_email(status.communication_value)
        if value != status.communication_value:
            try:
                with transaction.atomic():
                    CommunicationStatus.objects.filter(pk=status.pk).update(
                        communication_value=value
                    )
            except IntegrityError:
                pass


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_rekey_idn_addresses"),
        ("optout", "0001_initial"),
    ]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
