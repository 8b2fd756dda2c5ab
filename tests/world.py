"""One small, complete data set of an organisation: a real identifier for every path parameter.

The schemathesis run and the access matrix use it so that requests get past the 404s. Add a key
to `path_values` when a new route brings a path parameter with a new name.
"""

from dataclasses import dataclass, field

from customers.tests.factories import ConsentEventFactory, CustomerFactory
from emaillogs.tests.factories import EmailLogFactory
from optout.tests.factories import CommunicationStatusFactory, DepartmentFactory
from preferences.tests.factories import (
    CategoryFactory,
    PreferenceFactory,
    PreferenceOptInFactory,
)
from subscriptions.tests.factories import ChannelSubscriptionFactory, SuppressionFactory


@dataclass
class World:
    customer: object
    preference: object
    category: object
    department: object
    path_values: dict[str, str] = field(default_factory=dict)


def build_world(organisation, domain: str = "example.com") -> World:
    """The data set; give another organisation's another `domain`, so no identifier is shared."""
    customer = CustomerFactory(
        organisation=organisation,
        email=f"ada@{domain}",
        phone="+14155550100",
        correlation_id=f"member-1@{domain}",
        data_fields={"tier": "gold"},
    )
    category = CategoryFactory(organisation=organisation, public_name="News")
    preference = PreferenceFactory(
        organisation=organisation, category=category, public_name="Weekly"
    )
    PreferenceOptInFactory(preference=preference, customer=customer)
    ChannelSubscriptionFactory(customer=customer)
    # A customer who unsubscribed, for the resubscribe routes.
    CustomerFactory(organisation=organisation, email=f"gone@{domain}")
    SuppressionFactory(organisation=organisation, email=f"gone@{domain}")
    department = DepartmentFactory(organisation=organisation)
    CommunicationStatusFactory(department=department, communication_value=f"ada@{domain}")
    log = EmailLogFactory(customer=customer)
    ConsentEventFactory(customer=customer)
    values = {
        "customer_uuid": str(customer.uuid),
        "customerId": str(customer.uuid),
        "email": customer.email,
        "contactIdentifier": str(customer.pk),
        "correlation_id": customer.correlation_id,
        "marketingPreferenceId": str(preference.pk),
        "preferenceId": str(preference.pk),
        "id": str(preference.pk),
        "department_uuid": str(department.uuid),
        "date": "2020-01-01",
        "token": "not-a-real-token",
        "log_id": log.public_id,
    }
    return World(customer, preference, category, department, values)
