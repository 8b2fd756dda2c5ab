"""Fixtures of the cross-app tests."""

import pytest

from customers.tests.factories import CustomerFactory
from optout.tests.factories import DepartmentFactory
from preferences.tests.factories import CategoryFactory, PreferenceFactory


@pytest.fixture
def world(organisation):
    """One of each identifier a route takes, in the caller's organisation."""
    customer = CustomerFactory(
        organisation=organisation, email="ada@example.com", correlation_id="crm-1"
    )
    category = CategoryFactory(organisation=organisation, public_name="News", order=0)
    preference = PreferenceFactory(organisation=organisation, category=category, public_name="W")
    department = DepartmentFactory(organisation=organisation)
    return {
        "customer": customer,
        "preference": preference,
        "department": department,
    }
