"""Erasing a customer removes who their logs went to (DESIGN §7)."""

import pytest

from customers import services
from customers.ledger import Provenance
from customers.tests.factories import CustomerFactory
from emaillogs.models import EmailLog
from emaillogs.tests.factories import EmailLogFactory

pytestmark = pytest.mark.django_db


def test_delete_customer_removes_recipient_addresses_and_names_of_their_logs(
    rw_client, organisation
):
    customer = CustomerFactory(organisation=organisation, email="matt@example.com")
    log = EmailLogFactory(customer=customer, recipient_address="matt@example.com")
    assert rw_client.delete("/customers/matt@example.com").status_code == 200
    log.refresh_from_db()
    assert (log.recipient_address, log.recipient_name) == ("", "")
    # The log itself stays for delivery statistics.
    assert (log.status, log.email_name) == ("opened", "Order Confirmation")


def test_erasure_leaves_other_customers_logs_alone(organisation):
    erased, other = CustomerFactory.create_batch(2, organisation=organisation)
    EmailLogFactory(customer=erased)
    kept = EmailLogFactory(customer=other)
    services.customer_erase(customer=erased, provenance=Provenance(source="system"))
    kept.refresh_from_db()
    assert kept.recipient_address == other.email
    assert EmailLog.objects.filter(customer=erased, recipient_address="").count() == 1
