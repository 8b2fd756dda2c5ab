import pytest

from optout.tests.factories import DepartmentFactory


@pytest.fixture
def department(organisation):
    return DepartmentFactory(organisation=organisation, name="Customer care")


@pytest.fixture
def other_department(other_organisation):
    return DepartmentFactory(organisation=other_organisation, name="Elsewhere")
