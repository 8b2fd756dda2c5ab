"""manage.py import_suppressions (columns email, reason, date_removed)."""

from datetime import UTC, datetime

import pytest

from customers.models import ConsentEvent
from customers.tests.factories import CustomerFactory
from customers.tests.importing import run_import
from subscriptions.models import Suppression

pytestmark = pytest.mark.django_db

CSV = (
    "email,reason,date_removed\n"
    "Ada@Example.com,Unsubscribed,2020-01-01T09:40:18Z\n"
    "bounce@example.com,hardbounced,1577836800\n"
    "plain@example.com,,\n"
    "not-an-email,Unsubscribed,\n"
    "odd@example.com,Angry,\n"
    "late@example.com,Suppressed,someday\n"
)


def run(path, organisation, *args):
    return run_import("import_suppressions", path, *args, organisation=organisation.slug)


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "suppressions.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_it_imports_good_rows_and_rejects_bad_ones(csv_file, organisation):
    output = run(csv_file, organisation)
    assert "created 3, updated 0, unchanged 0, rejected 3." in output
    entries = {e.email: e for e in Suppression.objects.for_organisation(organisation)}
    assert entries["ada@example.com"].reason == "Unsubscribed"
    assert entries["ada@example.com"].date_removed == datetime(2020, 1, 1, 9, 40, 18, tzinfo=UTC)
    assert entries["bounce@example.com"].reason == "HardBounced"
    assert entries["plain@example.com"].reason == "Suppressed"
    report = (csv_file.parent / "suppressions.csv.rejects.csv").read_text()
    assert "not an email address" in report and "Angry" in report and "someday" in report


def test_a_rerun_creates_nothing(csv_file, organisation):
    run(csv_file, organisation)
    output = run(csv_file, organisation)
    assert "created 0, updated 0, unchanged 3, rejected 3." in output
    assert Suppression.objects.count() == 3
    assert ConsentEvent.objects.filter(kind="email.suppression").count() == 3


def test_events_name_the_customer_when_there_is_one(csv_file, organisation):
    ada = CustomerFactory(organisation=organisation, email="ada@example.com")
    run(csv_file, organisation)
    event = ConsentEvent.objects.get(customer=ada)
    assert (event.kind, event.new_value, event.source) == (
        "email.suppression",
        "Unsubscribed",
        "import",
    )
    assert ConsentEvent.objects.filter(customer=None).exclude(subject_key="").count() == 2


def test_dry_run_writes_nothing(csv_file, organisation):
    assert "Dry run" in run(csv_file, organisation, "--dry-run")
    assert not Suppression.objects.exists()


def test_a_rerun_writes_nothing_for_addresses_listed_already(csv_file, organisation, monkeypatch):
    from subscriptions import services

    run(csv_file, organisation)

    def not_expected(**kwargs):
        raise AssertionError("a listed address reached suppressions_add")

    monkeypatch.setattr(services, "suppressions_add", not_expected)
    output = run(csv_file, organisation)
    assert "created 0, updated 0, unchanged 3, rejected 3." in output


def test_a_rerun_skips_weaker_reasons_and_applies_stronger_ones(tmp_path, organisation):
    first = tmp_path / "first.csv"
    first.write_text("email,reason\na@example.com,Unsubscribed\nb@example.com,HardBounced\n")
    run(first, organisation)
    second = tmp_path / "second.csv"
    second.write_text(
        "email,reason\na@example.com,IspComplained\nB@example.com,Unsubscribed\n"
        "a@example.com,Suppressed\nb@example.com,Angry\n"
    )
    assert "created 0, updated 1, unchanged 2, rejected 1." in run(second, organisation)
    reasons = dict(Suppression.objects.values_list("email", "reason"))
    assert reasons == {"a@example.com": "IspComplained", "b@example.com": "HardBounced"}
    assert ConsentEvent.objects.filter(kind="email.suppression").count() == 3


def test_a_listed_address_with_a_bad_date_is_still_rejected(tmp_path, organisation):
    path = tmp_path / "s.csv"
    path.write_text("email,reason,date_removed\na@example.com,Unsubscribed,\n")
    run(path, organisation)
    path.write_text("email,reason,date_removed\na@example.com,Unsubscribed,someday\n")
    assert "created 0, updated 0, unchanged 0, rejected 1." in run(path, organisation)
