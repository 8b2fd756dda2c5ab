"""Admin screens of departments, communication statuses (with ledger history) and messages."""

import pytest
from django.urls import reverse

from conftest import logged_in, staff_user_of
from customers.models import ConsentEvent
from optout.models import CommunicationStatus, Department
from optout.tests.factories import CommunicationStatusFactory, DepartmentFactory
from optout.tests.test_optoutstatus import body, post, sms

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:optout_communicationstatus_changelist"


@pytest.fixture
def staff_client(organisation):
    return logged_in(staff_user_of(organisation, "optout", "customers"))


def changelist(client, **params):
    return client.get(reverse(CHANGELIST), params).content.decode()


def test_staff_see_only_their_organisations_departments(staff_client, department, other_department):
    page = staff_client.get(reverse("admin:optout_department_changelist")).content.decode()
    assert "Customer care" in page
    assert "Elsewhere" not in page


def test_staff_add_a_department_in_their_organisation(staff_client, organisation):
    response = staff_client.post(
        reverse("admin:optout_department_add"), {"name": "Sales", "phone_region": "GB"}
    )
    assert response.status_code == 302
    department = Department.objects.get()
    assert (department.organisation, department.phone_region) == (organisation, "GB")


def test_staff_see_only_their_organisations_statuses(staff_client, department, other_department):
    CommunicationStatusFactory(department=department, communication_value="mine@example.com")
    CommunicationStatusFactory(department=other_department, communication_value="their@x.example")
    page = changelist(staff_client)
    assert "mine@example.com" in page
    assert "their@x.example" not in page
    assert "Elsewhere" not in page  # nor in the department filter


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"communication_type__exact": "SMS"}, "+12025550143", "a@example.com"),
        ({"ok_to_communicate__exact": "0"}, "+12025550143", "a@example.com"),
        ({"last_event__exact": "STOP_MESSAGE_RECEIVED"}, "+12025550143", "a@example.com"),
        ({"q": "(202) 555-0143"}, "+12025550143", "a@example.com"),
        ({"q": "A@Example.com"}, "a@example.com", "+12025550143"),
    ],
)
def test_statuses_filter_by_type_state_event_and_search_by_value(
    staff_client, department, params, shown, hidden
):
    CommunicationStatusFactory(
        department=department,
        communication_type="SMS",
        communication_value="+12025550143",
        ok_to_communicate=False,
        last_event="STOP_MESSAGE_RECEIVED",
    )
    CommunicationStatusFactory(department=department, communication_value="a@example.com")
    page = changelist(staff_client, **params)
    assert shown in page
    assert hidden not in page


def test_statuses_filter_by_department(staff_client, department, organisation):
    second = DepartmentFactory(organisation=organisation, name="Sales")
    CommunicationStatusFactory(department=department, communication_value="care@example.com")
    CommunicationStatusFactory(department=second, communication_value="sales@example.com")
    page = changelist(staff_client, department__id__exact=second.pk)
    assert "sales@example.com" in page
    assert "care@example.com" not in page


def test_the_status_page_shows_its_ledger_history(staff_client, rw_client, department):
    post(rw_client, department, body(sms("2025550143", True)))
    post(rw_client, department, body(sms("2025550143", False)))
    status = CommunicationStatus.objects.get()
    page = staff_client.get(
        reverse("admin:optout_communicationstatus_change", args=[status.pk])
    ).content.decode()
    assert "True → False" in page
    assert "None → True" in page
    assert "/admin/customers/consentevent/?subject_key=" in page


def test_an_admin_edit_goes_through_the_service_and_the_ledger(staff_client, department):
    status = CommunicationStatusFactory(department=department, ok_to_communicate=True)
    response = staff_client.post(
        reverse("admin:optout_communicationstatus_change", args=[status.pk]),
        {"customer": "", "_save": "Save"},  # the unchecked box: not ok to communicate
    )
    assert response.status_code == 302
    status.refresh_from_db()
    assert status.ok_to_communicate is False
    event = ConsentEvent.objects.get()
    assert (event.source, event.old_value, event.new_value) == ("admin", True, False)


def test_the_admin_actions_change_statuses_with_ledger(staff_client, department):
    statuses = CommunicationStatusFactory.create_batch(2, department=department)
    staff_client.post(
        reverse(CHANGELIST),
        {"action": "mark_opted_out", "_selected_action": [s.pk for s in statuses]},
    )
    assert not CommunicationStatus.objects.filter(ok_to_communicate=True).exists()
    assert ConsentEvent.objects.filter(source="admin").count() == 2


def test_processed_messages_are_listed_read_only(staff_client, rw_client, department):
    post(rw_client, department, body(messageUUID="0b6f5a8e-1c1d-4f7e-9a3b-6d2c4e5f7a81"))
    page = staff_client.get(reverse("admin:optout_processedmessage_changelist")).content.decode()
    assert "0b6f5a8e-1c1d-4f7e-9a3b-6d2c4e5f7a81" in page


def test_the_customer_page_shows_each_departments_status_for_their_addresses(organisation):
    from conftest import logged_in, staff_user_of
    from customers.tests.factories import CustomerFactory
    from optout.tests.factories import CommunicationStatusFactory, DepartmentFactory

    customer = CustomerFactory(
        organisation=organisation, email="ada@example.com", phone="+442071838750"
    )
    sales = DepartmentFactory(organisation=organisation, name="Sales")
    CommunicationStatusFactory(
        department=sales,
        communication_type="SMS",
        communication_value="+442071838750",
        ok_to_communicate=False,
    )
    CommunicationStatusFactory(department=sales, communication_value="ada@example.com")
    CommunicationStatusFactory(department=sales, communication_value="someone@example.com")
    client = logged_in(staff_user_of(organisation, "customers", "optout"))
    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    section = next(
        s for s in page.context["consent_summary"] if s["title"] == "Opt-out status by department"
    )
    states = sorted((entry["row"].item, entry["row"].state) for entry in section["rows"])
    assert states == [
        ("Sales: EMAIL ada@example.com", "ok to communicate"),
        ("Sales: SMS +442071838750", "opted out"),
    ]
