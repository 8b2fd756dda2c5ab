"""The shared import framework, exercised through a minimal import command."""

import csv
import json
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from customers.importing import ImportCommand, RowRejected, parse_bool, parse_time
from customers.models import Customer

pytestmark = pytest.mark.django_db


class NamesImport(ImportCommand):
    """Creates customers from `email,first_name`; rejects emails without '@'."""

    columns = ("email", "first_name")
    required_columns = ("email",)

    def parse_record(self, data, context):
        if "@" not in data.get("email", ""):
            raise RowRejected("email: not an email address.")
        return data

    def apply_batch(self, items, context):
        counts = Counter()
        for item in items:
            if item["email"].startswith("taken"):
                self.reject_later(item, "email: reserved.")
                continue
            _, created = Customer.objects.update_or_create(
                organisation=context.organisation,
                email_key=item["email"].lower(),
                defaults={"email": item["email"], "first_name": item.get("first_name", "")},
            )
            counts["created" if created else "updated"] += 1
        return counts


class NamesImportReadingAhead(NamesImport):
    parse_in_background = True


@pytest.fixture(params=[NamesImport, NamesImportReadingAhead], ids=["inline", "read-ahead"])
def command(request):
    return request.param


def run(path, *args, command=NamesImport):
    from io import StringIO

    out = StringIO()
    call_command(command(), str(path), "--organisation", "acme", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def csv_file(tmp_path, organisation):
    path = tmp_path / "people.csv"
    path.write_text(
        "email,first_name\n"
        "ada@example.com,Ada\n"
        "not-an-email,Bob\n"
        "\n"
        "taken@example.com,Tim\n"
        "grace@example.com,Grace\n",
        encoding="utf-8",
    )
    return path


def read_report(path):
    with open(f"{path}.rejects.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_it_imports_good_rows_and_reports_bad_ones_with_line_numbers(command, csv_file):
    output = run(csv_file, "--batch-size", "2", command=command)
    assert "created 2, updated 0, unchanged 0, rejected 2." in output
    assert sorted(Customer.objects.values_list("email", flat=True)) == [
        "ada@example.com",
        "grace@example.com",
    ]
    report = read_report(csv_file)
    assert [(r["line"], r["reason"]) for r in report] == [
        ("3", "email: not an email address."),
        ("5", "email: reserved."),
    ]
    assert json.loads(report[0]["record"]) == {"email": "not-an-email", "first_name": "Bob"}


def test_a_dry_run_counts_but_writes_nothing(command, csv_file):
    output = run(csv_file, "--dry-run", command=command)
    assert output.startswith("Dry run, nothing written: would have created 2")
    assert not Customer.objects.exists()


def test_strict_aborts_the_whole_import_on_a_bad_row(command, csv_file):
    with pytest.raises(CommandError, match="Line 3"):
        run(csv_file, "--strict", "--batch-size", "1", command=command)
    assert not Customer.objects.exists()


def test_a_rerun_is_idempotent(command, csv_file):
    run(csv_file, command=command)
    assert "created 0, updated 2" in run(csv_file, command=command)
    assert Customer.objects.count() == 2


def test_it_reads_json_lines(command, tmp_path, organisation):
    path = tmp_path / "people.jsonl"
    path.write_text('{"email": "ada@example.com"}\n{"email": 5\n["x"]\n{"nickname": "x"}\n')
    assert "created 1, updated 0, unchanged 0, rejected 3." in run(path, command=command)
    assert [r["line"] for r in read_report(path)] == ["2", "3", "4"]


def test_it_refuses_a_file_with_unknown_or_missing_columns(tmp_path, organisation):
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("email,shoe_size\nada@example.com,5\n")
    with pytest.raises(CommandError, match="Unknown column"):
        run(unknown)
    missing = tmp_path / "missing.csv"
    missing.write_text("first_name\nAda\n")
    with pytest.raises(CommandError, match="Missing required column"):
        run(missing)


def test_it_refuses_an_unknown_organisation(csv_file):
    with pytest.raises(CommandError, match="No organisation"):
        call_command(NamesImport(), str(csv_file), "--organisation", "nope")


def test_a_row_with_the_wrong_number_of_cells_is_rejected(command, tmp_path, organisation):
    path = tmp_path / "ragged.csv"
    path.write_text("email,first_name\nada@example.com,Ada,extra\n")
    assert "rejected 1." in run(path, command=command)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("TRUE", True), ("yes", True), ("1", True), ("False", False), ("no", False), ("0", False)],
)
def test_booleans_in_any_case(value, expected):
    assert parse_bool(value, "opted_in") is expected


def test_a_bad_boolean_is_rejected():
    with pytest.raises(RowRejected):
        parse_bool("maybe", "opted_in")


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("1577871618", "2020-01-01T09:40:18+00:00"),
        ("2020-01-01T09:40:18Z", "2020-01-01T09:40:18+00:00"),
        ("2020-01-01T09:40:18", "2020-01-01T09:40:18+00:00"),
        ("2020-01-01", "2020-01-01T00:00:00+00:00"),
    ],
)
def test_times_as_unix_seconds_or_iso_8601(value, iso):
    assert parse_time(value, "modified").isoformat() == iso


def test_a_bad_time_is_rejected():
    with pytest.raises(RowRejected):
        parse_time("yesterday", "modified")


def test_an_error_while_reading_ahead_reaches_the_command(tmp_path, organisation):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"email,first_name\nada@example.com,Ad\xe9le\n")
    with pytest.raises(CommandError, match="not UTF-8"):
        run(path, command=NamesImportReadingAhead)
