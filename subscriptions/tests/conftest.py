import pytest

from customers.tests.factories import CustomerFactory


@pytest.fixture
def customer(organisation):
    return CustomerFactory(
        organisation=organisation,
        email="john.smith@emailsim.io",
        phone="+12025550143",
        correlation_id="member-1",
        data_fields={},
        email_type="PlainText",
    )
