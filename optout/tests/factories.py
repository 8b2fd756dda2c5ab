import factory

from customers.tests.factories import OrganisationFactory
from optout.models import CommunicationStatus, CommunicationType, Department


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Department {n}")


class CommunicationStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunicationStatus

    department = factory.SubFactory(DepartmentFactory)
    communication_type = CommunicationType.EMAIL
    communication_value = factory.Sequence(lambda n: f"address{n}@example.com")
    ok_to_communicate = True
    last_event = "COMMUNICATION_VALUE_CREATION"
    update_type = "CUSTOMER"
