"""Demo data of this app for `seed_demo`: categories, preferences and some opt-ins."""

from customers.ledger import Provenance, Source
from customers.models import Customer

from . import services
from .models import Preference

DEMO_TREE = [
    ("Newsletters", ["Weekly digest", "Product updates"]),
    ("Offers", ["Discounts", "Events near you"]),
    (None, ["Football"]),
]
# Which demo customers are opted into which preferences.
DEMO_OPT_INS = {
    "ada@example.com": ["Weekly digest", "Discounts"],
    "grace@example.com": ["Product updates"],
    "emmy@example.com": ["Weekly digest", "Football"],
}


def _get_or_create(organisation, name, *, is_preference, category=None):
    existing = (
        Preference.objects.for_organisation(organisation)
        .filter(private_name=name, is_preference=is_preference, category=category)
        .first()
    )
    return existing or services.preference_create(
        organisation=organisation,
        public_name=name,
        private_name=name,
        is_preference=is_preference,
        category=category,
    )


def seed(organisation) -> list[str]:
    by_name = {}
    for category_name, names in DEMO_TREE:
        category = (
            _get_or_create(organisation, category_name, is_preference=False)
            if category_name
            else None
        )
        for name in names:
            by_name[name] = _get_or_create(
                organisation, name, is_preference=True, category=category
            )
    provenance = Provenance(source=Source.SYSTEM, detail="seed_demo")
    opted = 0
    for email, names in DEMO_OPT_INS.items():
        customer = Customer.objects.for_organisation(organisation).with_email(email).first()
        if customer is None:
            continue
        services.preference_opt_ins_set(
            customer=customer,
            states={by_name[name].pk: True for name in names},
            provenance=provenance,
        )
        opted += 1
    first = by_name["Weekly digest"]
    return [
        f"{len(by_name)} preferences in {len(DEMO_TREE) - 1} categories (e.g. {first.public_name}, "
        f"id {first.pk}); {opted} customers opted into some of them",
    ]
