"""Addresses are now compared with their domain in Unicode ("münchen.de", not "xn--mnchen-3ya.de"):
re-key the rows stored with a punycode domain. Where the Unicode spelling already has its own row,
the old row is left as it is (the address stays suppressed/known through the other row)."""

from django.db import IntegrityError, migrations, transaction


def rekey(apps, schema_editor):
    from customers.normalisation import normalise_email

    Customer = apps.get_model("customers", "Customer")
    for customer in Customer.objects.filter(email_key__contains="xn--").iterator():
        key = normalise_email(customer.email)
        if key != customer.email_key:
            try:
                with transaction.atomic():
                    Customer.objects.filter(pk=customer.pk).update(email_key=key)
            except IntegrityError:
                pass


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_email_one_syntax")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
