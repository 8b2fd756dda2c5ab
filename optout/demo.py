"""Demo data of this app for `seed_demo`: a department with a few opt-out statuses."""

from customers.ledger import Provenance, Source
from customers.models import Customer

from . import services
from .models import CommunicationType

DEMO_STATUSES = [
    (CommunicationType.SMS, "+12025550143", False, "grace@example.com"),
    (CommunicationType.EMAIL, "katherine@example.com", True, "katherine@example.com"),
    (CommunicationType.PHONE, "+442071838750", False, "ada@example.com"),
]


def seed(organisation) -> list[str]:
    department, _ = services.department_create_or_update(
        organisation=organisation, name="Customer care"
    )
    customers = dict(
        Customer.objects.for_organisation(organisation)
        .filter(email_key__in=[email for *_, email in DEMO_STATUSES])
        .values_list("email_key", "id")
    )
    items = [
        services.StatusItem(
            communication_type=kind,
            communication_value=value,
            ok_to_communicate=ok,
            customer_id=customers.get(email),
        )
        for kind, value, ok, email in DEMO_STATUSES
    ]
    services.optout_statuses_import(
        rows=[(department, "COMMUNICATION_VALUE_CREATION", item) for item in items],
        provenance=Provenance(source=Source.SYSTEM, detail="seed_demo"),
    )
    return [
        f"department '{department.name}' (uuid {department.uuid}) with {len(items)} opt-out "
        f"statuses: GET /communications/department/{department.uuid}/optoutstatus"
        "?communicationValue=%2B12025550143"
    ]
