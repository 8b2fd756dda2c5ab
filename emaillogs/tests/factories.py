import factory
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from emaillogs.models import EmailLog


class EmailLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailLog

    customer = factory.SubFactory(CustomerFactory)
    organisation = factory.LazyAttribute(lambda o: o.customer.organisation)
    public_id = factory.Sequence(lambda n: f"log_{n:016x}")
    created = factory.LazyFunction(timezone.now)
    recipient_name = "Matt"
    recipient_address = factory.LazyAttribute(lambda o: o.customer.email or "")
    status = "opened"
    message = "SendGrid: Message has been opened"
    email_id = "tem_as8dfjha8dap"
    email_name = "Order Confirmation"
    email_version = "Version A"
