import uuid

import pytest

from customers.models import ConsentEvent
from customers.normalisation import address_key
from customers.tests.factories import CustomerFactory
from customers.tests.importing import rejected_rows, run_import, write_file
from optout.models import CommunicationStatus
from optout.tests.factories import CommunicationStatusFactory, DepartmentFactory

pytestmark = pytest.mark.django_db

HEADER = "department,communication_type,communication_value,ok_to_communicate,event,customer_uuid\n"


def run(path, *args):
    return run_import("import_optouts", path, *args)


def write(tmp_path, text, name="optouts.csv"):
    return write_file(tmp_path, name, text)


rejects = rejected_rows


def test_it_imports_statuses_with_normalised_values_and_ledger(tmp_path, department):
    customer = CustomerFactory(organisation=department.organisation)
    path = write(
        tmp_path,
        HEADER
        + f"{department.uuid},sms,(202) 555-0143,no,STOP_MESSAGE_RECEIVED,{customer.uuid}\n"
        + f"{department.uuid},EMAIL,Ada@Example.com,TRUE,,\n",
    )
    assert "created 2, updated 0, unchanged 0, rejected 0." in run(path)
    sms = CommunicationStatus.objects.get(communication_type="SMS")
    assert (sms.communication_value, sms.ok_to_communicate, sms.customer) == (
        "+12025550143",
        False,
        customer,
    )
    assert sms.last_event == "STOP_MESSAGE_RECEIVED"
    assert CommunicationStatus.objects.get(communication_type="EMAIL").communication_value == (
        "ada@example.com"
    )
    event = ConsentEvent.objects.get(customer=customer)
    assert (event.kind, event.target, event.source) == (
        "optout.status",
        f"{department.uuid}:SMS",
        "import",
    )
    assert event.subject_key == address_key("+12025550143")


def test_a_rerun_changes_nothing(tmp_path, department):
    path = write(tmp_path, HEADER + f"{department.uuid},SMS,2025550143,false,,\n")
    run(path)
    assert "created 0, updated 0, unchanged 1, rejected 0." in run(path)
    assert ConsentEvent.objects.count() == 1


def test_it_updates_an_existing_status(tmp_path, department):
    CommunicationStatusFactory(department=department, communication_value="a@example.com")
    path = write(tmp_path, HEADER + f"{department.uuid},EMAIL,a@example.com,0,,\n")
    assert "updated 1" in run(path)
    assert CommunicationStatus.objects.get().ok_to_communicate is False


def test_a_later_row_for_the_same_address_wins(tmp_path, department):
    path = write(
        tmp_path,
        HEADER
        + f"{department.uuid},SMS,2025550143,false,,\n"
        + f"{department.uuid},SMS,+12025550143,true,,\n",
    )
    run(path)
    assert CommunicationStatus.objects.get().ok_to_communicate is True
    assert ConsentEvent.objects.count() == 2


def test_bad_rows_are_rejected_with_their_reason(tmp_path, department, other_organisation):
    foreign = DepartmentFactory(organisation=other_organisation)
    path = write(
        tmp_path,
        HEADER
        + f"{department.uuid},FAX,2025550143,false,,\n"
        + f"{department.uuid},SMS,12,false,,\n"
        + f"{department.uuid},SMS,2025550143,maybe,,\n"
        + f"{department.uuid},SMS,2025550143,false,STOP,\n"
        + f"{foreign.uuid},SMS,2025550143,false,,\n"
        + f"{department.uuid},SMS,2025550143,false,,{uuid.uuid4()}\n"
        + f"{department.uuid},SMS,2025550143,false,,not-a-uuid\n"
        + f"{department.uuid},EMAIL,ok@example.com,false,,\n",
    )
    assert "created 1, updated 0, unchanged 0, rejected 7." in run(path)
    reasons = dict(rejects(path))
    assert "communication_type" in reasons[2]
    assert "communication_value" in reasons[3]
    assert "ok_to_communicate" in reasons[4]
    assert "event" in reasons[5]
    assert "department" in reasons[6]
    assert reasons[7] == "customer_uuid: no such customer."
    assert "customer_uuid" in reasons[8]


def test_a_dry_run_writes_nothing(tmp_path, department):
    path = write(tmp_path, HEADER + f"{department.uuid},SMS,2025550143,false,,\n")
    assert run(path, "--dry-run").startswith("Dry run")
    assert not CommunicationStatus.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_it_reads_json_lines(tmp_path, department):
    path = write(
        tmp_path,
        f'{{"department": "{department.uuid}", "communication_type": "PHONE", '
        '"communication_value": "+44 20 7183 8750", "ok_to_communicate": true}\n',
        name="optouts.jsonl",
    )
    assert "created 1" in run(path)
    assert CommunicationStatus.objects.get().communication_value == "+442071838750"
