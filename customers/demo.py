"""Demo data of this app for `seed_demo`. Every app may have a demo.py with `seed(organisation)`."""

from .models import Customer

DEMO_CUSTOMERS = [
    ("ada@example.com", "+442071838750", "loyalty-0001", "Ada", "Lovelace", "en-GB"),
    ("grace@example.com", "+12025550143", "loyalty-0002", "Grace", "Hopper", "en-US"),
    ("emmy@example.com", "+493012345678", "loyalty-0003", "Emmy", "Noether", "de-DE"),
    ("alan@example.com", None, "loyalty-0004", "Alan", "Turing", "en-GB"),
    ("katherine@example.com", "+12025550187", None, "Katherine", "Johnson", "en-US"),
]


def seed(organisation) -> list[str]:
    for email, phone, correlation_id, first, last, locale in DEMO_CUSTOMERS:
        customer = Customer.objects.for_organisation(organisation).with_email(email).first()
        if customer is None:
            customer = Customer(organisation=organisation, email=email)
        customer.phone = phone
        customer.correlation_id = correlation_id
        customer.first_name, customer.last_name, customer.locale = first, last, locale
        customer.save()
    first = Customer.objects.for_organisation(organisation).with_email("ada@example.com").get()
    return [
        f"{len(DEMO_CUSTOMERS)} customers, e.g. {first.email} (uuid {first.uuid}, contact id "
        f"{first.pk}, correlation id {first.correlation_id})",
    ]
