"""manage.py import_email_logs (DESIGN §8): CSV and JSON Lines, keyed by log id."""

import json

import pytest

from customers.tests.factories import CustomerFactory
from customers.tests.importing import rejected_rows, run_import, write_file
from emaillogs.models import EmailLog

pytestmark = pytest.mark.django_db

HEADER = (
    "email,id,created,recipient_name,recipient_address,status,message,email_id,email_name,"
    "email_version\n"
)


def run(path, *args):
    return run_import("import_email_logs", path, *args)


def write(tmp_path, text, name="logs.csv"):
    return write_file(tmp_path, name, text)


report = rejected_rows


@pytest.fixture
def customer(organisation):
    return CustomerFactory(organisation=organisation, email="matt@example.com")


@pytest.fixture
def log_file(tmp_path, customer):
    return write(
        tmp_path,
        HEADER + "Matt@example.com,log_asdf1234qwerty,1234567890,Matt,matt@example.com,opened,"
        "SendGrid: Message has been opened,tem_as8dfjha8dap,Order Confirmation,Version A\n"
        "matt@example.com,,2020-01-01T09:40:18Z,,matt@example.com,delivered,,,Welcome,\n",
    )


def test_it_imports_logs_for_the_customers_email(log_file, customer):
    assert "created 2, updated 0, unchanged 0, rejected 0." in run(log_file)
    seed = EmailLog.objects.get(public_id="log_asdf1234qwerty")
    assert (seed.customer, int(seed.created.timestamp()), seed.status, seed.email_version) == (
        customer,
        1234567890,
        "opened",
        "Version A",
    )
    generated = EmailLog.objects.exclude(pk=seed.pk).get()
    assert generated.public_id.startswith("log_")
    assert generated.created.isoformat() == "2020-01-01T09:40:18+00:00"


def test_a_rerun_is_idempotent_even_for_rows_without_an_id(log_file):
    run(log_file)
    assert "created 0, updated 0, unchanged 2, rejected 0." in run(log_file)
    assert EmailLog.objects.count() == 2


def test_a_changed_row_updates_the_log_with_that_id(tmp_path, log_file):
    run(log_file)
    path = write(
        tmp_path, HEADER + "matt@example.com,log_asdf1234qwerty,1234567890,,,clicked,,,,\n"
    )
    assert "created 0, updated 1" in run(path)
    assert EmailLog.objects.get(public_id="log_asdf1234qwerty").status == "clicked"


def test_bad_rows_are_reported_with_line_numbers_and_good_rows_kept(tmp_path, customer):
    path = write(
        tmp_path,
        HEADER + "matt@example.com,log_1,1234567890,,,sent,,,,\n"
        "nobody@example.com,log_2,1234567890,,,sent,,,,\n"
        "matt@example.com,log_3,yesterday,,,sent,,,,\n"
        "not-an-email,log_4,1234567890,,,sent,,,,\n"
        "matt@example.com,bad id!,1234567890,,,sent,,,,\n",
    )
    assert "created 1, updated 0, unchanged 0, rejected 4." in run(path)
    reasons = dict(report(path))
    assert sorted(reasons) == [3, 4, 5, 6]
    assert reasons[3] == "email: no customer with this email in the organisation."
    assert reasons[4].startswith("created:")
    assert reasons[5].startswith("email:")
    assert reasons[6].startswith("id:")


def test_another_organisations_customer_is_not_found(tmp_path, organisation, other_organisation):
    CustomerFactory(organisation=other_organisation, email="theirs@example.com")
    path = write(tmp_path, HEADER + "theirs@example.com,log_1,1234567890,,,sent,,,,\n")
    assert "rejected 1." in run(path)
    assert not EmailLog.objects.exists()


def test_it_reads_json_lines(tmp_path, customer):
    path = write(
        tmp_path,
        json.dumps({"email": "matt@example.com", "id": "log_j", "created": 1234567890})
        + "\n"
        + json.dumps({"email": "matt@example.com", "created": 1, "shoe": 9})
        + "\n",
        name="logs.jsonl",
    )
    assert "created 1, updated 0, unchanged 0, rejected 1." in run(path)
    assert report(path)[0][1].startswith("Unknown keys: shoe")


def test_a_dry_run_writes_nothing(log_file):
    assert run(log_file, "--dry-run").startswith("Dry run, nothing written: would have created 2")
    assert not EmailLog.objects.exists()


def test_imported_logs_are_served_by_the_logs_route(rw_client, log_file):
    run(log_file)
    logs = rw_client.get("/customers/matt@example.com/logs").json()["logs"]
    assert [log["created"] for log in logs] == [1577871618, 1234567890]
