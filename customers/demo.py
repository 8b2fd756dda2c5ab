"""Demo data of this app for `seed_demo`. Every app may have a demo.py with `seed(organisation)`."""

from .ledger import Provenance, Source
from .models import Customer
from .services import customer_save

PROVENANCE = Provenance(source=Source.SYSTEM, detail="seed_demo")

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
        wanted = {
            "phone": phone,
            "correlation_id": correlation_id,
            "first_name": first,
            "last_name": last,
            "locale": locale,
        }
        changed = [name for name, value in wanted.items() if getattr(customer, name) != value]
        if changed or customer._state.adding:
            for name in changed:
                setattr(customer, name, wanted[name])
            customer_save(customer=customer, changed_fields=changed, provenance=PROVENANCE)
    first = Customer.objects.for_organisation(organisation).with_email("ada@example.com").get()
    return [
        f"{len(DEMO_CUSTOMERS)} customers, e.g. {first.email} (uuid {first.uuid}, contact id "
        f"{first.pk}, correlation id {first.correlation_id})",
    ]
