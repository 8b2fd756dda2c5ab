"""manage.py import_customers (DESIGN §8), on both databases."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from customers.management.commands import import_customers
from customers.models import ConsentEvent, Customer
from customers.tests.factories import CustomerFactory
from customers.tests.importing import rejected_rows, run_import, write_file

pytestmark = pytest.mark.django_db(transaction=False)


def run(path, *args):
    return run_import("import_customers", path, *args)


def write(tmp_path, text, name="customers.csv"):
    return write_file(tmp_path, name, text)


report = rejected_rows


def customers(organisation):
    return Customer.objects.for_organisation(organisation).order_by("id")


@pytest.fixture
def good_file(tmp_path, organisation):
    return write(
        tmp_path,
        "email,phone,correlation_id,locale,first_name,last_name,tier\n"
        "Ada@Example.com,(202) 555-0143,loyal-1,en-GB,Ada,Lovelace,gold\n"
        ",+442071838750,,,Grace,Hopper,\n"
        ",,loyal-3,de-DE,Emmy,,silver\n",
    )


def test_it_creates_customers_from_the_documented_columns(good_file, organisation):
    assert "created 3, updated 0, unchanged 0, rejected 0." in run(good_file)
    ada, grace, emmy = customers(organisation)
    assert (ada.email, ada.email_key, ada.phone, ada.correlation_id, ada.locale) == (
        "Ada@Example.com",
        "ada@example.com",
        "+12025550143",
        "loyal-1",
        "en-GB",
    )
    assert (ada.first_name, ada.last_name, ada.data_fields) == ("Ada", "Lovelace", {"tier": "gold"})
    assert (grace.email, grace.phone, grace.data_fields) == (None, "+442071838750", {})
    assert (emmy.correlation_id, emmy.locale, emmy.last_name) == ("loyal-3", "de-DE", "")


def test_a_rerun_is_idempotent(good_file, organisation):
    run(good_file)
    assert "created 0, updated 0, unchanged 3, rejected 0." in run(good_file)
    assert customers(organisation).count() == 3
    assert ConsentEvent.objects.count() == 3


def test_it_updates_existing_customers_by_email_correlation_id_or_phone(tmp_path, organisation):
    by_email = CustomerFactory(organisation=organisation, email="ada@example.com", locale="en")
    by_corr = CustomerFactory(organisation=organisation, email=None, correlation_id="loyal-3")
    by_phone = CustomerFactory(organisation=organisation, email=None, phone="+442071838750")
    path = write(
        tmp_path,
        "email,phone,correlation_id,locale,first_name\n"
        "ADA@example.com,,,en-GB,\n"
        ",,loyal-3,,Emmy\n"
        ",020 7183 8750,,fr,\n",
    )
    organisation.phone_region = "GB"
    organisation.save()
    assert "created 0, updated 3, unchanged 0, rejected 0." in run(path)
    by_email.refresh_from_db()
    by_corr.refresh_from_db()
    by_phone.refresh_from_db()
    assert (by_email.locale, by_email.email, by_email.first_name) == (
        "en-GB",
        "ada@example.com",
        "Jo",
    )
    assert by_corr.first_name == "Emmy"
    assert by_phone.locale == "fr"


def test_blank_cells_keep_stored_values_and_data_fields_merge(tmp_path, organisation):
    customer = CustomerFactory(
        organisation=organisation, email="ada@example.com", data_fields={"a": "1", "b": "2"}
    )
    path = write(tmp_path, "email,first_name,b,c\nada@example.com,,3,4\n")
    run(path)
    customer.refresh_from_db()
    assert customer.first_name == "Jo"
    assert customer.data_fields == {"a": "1", "b": "3", "c": "4"}


def test_each_changed_customer_gets_one_ledger_event_naming_the_file(tmp_path, organisation):
    CustomerFactory(organisation=organisation, email="ada@example.com", locale="en")
    path = write(
        tmp_path, "email,locale\nada@example.com,en-GB\nnew@example.com,fr\nsame@example.com,\n"
    )
    CustomerFactory(organisation=organisation, email="same@example.com")
    run(path)
    events = {
        e.customer.email: e for e in ConsentEvent.objects.select_related("customer").order_by("id")
    }
    assert set(events) == {"ada@example.com", "new@example.com"}
    assert (events["ada@example.com"].target, events["ada@example.com"].new_value) == (
        "updated",
        ["locale"],
    )
    assert (events["new@example.com"].target, events["new@example.com"].new_value) == (
        "created",
        ["email", "locale"],
    )
    assert {e.source for e in events.values()} == {"import"}
    assert events["new@example.com"].source_detail == "import_customers: customers.csv"


def test_bad_rows_are_reported_with_line_numbers_and_good_rows_kept(tmp_path, organisation):
    path = write(
        tmp_path,
        "email,phone,correlation_id,locale\n"
        "good@example.com,,,en\n"
        "not-an-email,,,\n"
        "x@example.com,12,,\n"
        "y@example.com,,,english\n"
        ",,,en\n"
        "z@example.com,,loyal-1,\n"
        "w@example.com,,loyal-1,\n",
    )
    output = run(path)
    assert "created 2, updated 0, unchanged 0, rejected 5." in output
    assert [line for line, _ in report(path)] == [3, 4, 5, 6, 8]
    reasons = dict(report(path))
    assert reasons[3].startswith("email:")
    assert reasons[4].startswith("phone:")
    assert reasons[5].startswith("locale:")
    assert reasons[6].startswith("A customer needs at least one of")
    assert reasons[8] == "correlation_id: also given to another customer on line 7."
    assert sorted(customers(organisation).values_list("email", flat=True)) == [
        "good@example.com",
        "z@example.com",
    ]


def test_a_correlation_id_owned_by_another_customer_is_rejected(tmp_path, organisation):
    CustomerFactory(organisation=organisation, email="owner@example.com", correlation_id="c-1")
    path = write(tmp_path, "email,correlation_id\nthief@example.com,c-1\nok@example.com,c-2\n")
    assert "created 1, updated 0, unchanged 0, rejected 1." in run(path)
    assert report(path) == [(2, "correlation_id: already used by another customer.")]


def test_a_later_line_for_the_same_customer_wins(tmp_path, organisation):
    path = write(tmp_path, "email,locale\nada@example.com,en\nADA@example.com,fr\n")
    run(path)
    assert customers(organisation).get().locale == "fr"
    assert report(path) == [(2, "Superseded by line 3 (same customer).")]


def test_a_dry_run_writes_nothing(good_file, organisation):
    output = run(good_file, "--dry-run")
    assert output.startswith("Dry run, nothing written: would have created 3")
    assert not customers(organisation).exists()
    assert not ConsentEvent.objects.exists()


def test_it_reads_json_lines(tmp_path, organisation):
    path = write(
        tmp_path,
        json.dumps({"email": "ada@example.com", "locale": "en", "score": 5})
        + "\n"
        + json.dumps({"email": 7})
        + "\n",
        name="customers.jsonl",
    )
    assert "created 1, updated 0, unchanged 0, rejected 1." in run(path)
    assert customers(organisation).get().data_fields == {"score": 5}


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_json_line_with_a_number_json_has_not_is_rejected_and_the_rest_imported(
    tmp_path, organisation, number
):
    path = write(
        tmp_path,
        f'{{"email": "nan@example.com", "score": {number}}}\n'
        '{"email": "ada@example.com", "score": 1.5, "big": 123456789012345678901234567890}\n',
        name="customers.jsonl",
    )
    assert "created 1, updated 0, unchanged 0, rejected 1." in run(path)
    reason = "too large a number" if number == "1e400" else "not a JSON number"
    assert report(path) == [(1, f"Invalid JSON: {number} is {reason}.")]
    ada = customers(organisation).get()
    assert (ada.email, ada.data_fields) == (
        "ada@example.com",
        {"score": 1.5, "big": 123456789012345678901234567890},
    )


def test_another_organisations_customer_is_not_touched(tmp_path, organisation, other_organisation):
    theirs = CustomerFactory(organisation=other_organisation, email="ada@example.com", locale="en")
    run(write(tmp_path, "email,locale\nada@example.com,fr\n"))
    theirs.refresh_from_db()
    assert theirs.locale == "en"
    assert customers(organisation).get().locale == "fr"


def test_an_unknown_organisation_is_refused(good_file):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_customers", str(good_file), "--organisation", "nope")


def test_a_file_with_10000_rows_imports(tmp_path, organisation):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("email,correlation_id,locale,first_name,segment\n")
        for i in range(10_000):
            f.write(f"c{i}@example.com,corr-{i},en-US,Name{i},s{i % 7}\n")
    assert "created 10000, updated 0, unchanged 0, rejected 0." in run(path, "--batch-size", "3000")
    assert customers(organisation).count() == 10_000
    assert ConsentEvent.objects.filter(kind="customer.profile").count() == 10_000
    assert "created 0, updated 0, unchanged 10000, rejected 0." in run(path)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_on_postgresql_a_batch_is_copied_and_upserted_in_constant_queries(
    tmp_path, organisation, django_assert_max_num_queries
):
    path = tmp_path / "batch.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("email,correlation_id\n")
        for i in range(3000):
            f.write(f"c{i}@example.com,corr-{i}\n")
    # 1 the organisation; per batch: 2-3 savepoints of the batch's and the service's atomic
    # blocks, 4-5 jit and synchronous_commit off, 6-7 drop + create the stage (the COPY is not
    # counted), 8 set aside correlation conflicts, 9 the upsert with its ledger events,
    # 10-11 release the savepoints.
    with django_assert_max_num_queries(11):
        assert "created 3000" in run(path, "--batch-size", "3000")


def test_imported_customers_get_time_ordered_uuids_kept_on_a_rerun(good_file, organisation):
    run(good_file)
    first = list(customers(organisation).values_list("uuid", flat=True))
    assert {value.version for value in first} == {7}
    run(good_file)
    assert list(customers(organisation).values_list("uuid", flat=True)) == first


# A re-run finds records it imported before unchanged by their digest (PostgreSQL) -------------
def parsed_records(monkeypatch):
    """Counts the records parse_record sees."""
    seen = []
    original = import_customers.Command.parse_record

    def counting(self, data, context):
        seen.append(data)
        return original(self, data, context)

    monkeypatch.setattr(import_customers.Command, "parse_record", counting)
    return seen


@pytest.mark.postgres_only
def test_a_rerun_parses_no_record_it_imported_before(tmp_path, organisation, monkeypatch):
    path = write(
        tmp_path,
        "email,correlation_id,first_name,tier\n"
        "ada@example.com,crm-1,Ada,gold\n"
        "Grace@Example.com,,Grace,\n"
        "nobody,,Bad,\n",
    )
    run(path)
    assert all(c.import_digest is not None for c in customers(organisation))
    seen = parsed_records(monkeypatch)
    output = run(path)
    assert "created 0, updated 0, unchanged 2, rejected 1." in output
    assert [data["email"] for data in seen] == ["nobody"]  # the rejected one is judged again
    assert ConsentEvent.objects.count() == 2


@pytest.mark.postgres_only
def test_any_other_write_clears_the_digest_so_the_record_is_applied_again(
    tmp_path, organisation, monkeypatch
):
    path = write(tmp_path, "email,first_name\nada@example.com,Ada\n")
    run(path)
    ada = customers(organisation).get()
    ada.first_name = "Augusta"
    ada.save()
    ada.refresh_from_db()
    assert ada.import_digest is None
    seen = parsed_records(monkeypatch)
    assert "created 0, updated 1, unchanged 0, rejected 0." in run(path)
    assert len(seen) == 1
    ada.refresh_from_db()
    assert (ada.first_name, ada.import_digest is not None) == ("Ada", True)
    assert ConsentEvent.objects.filter(customer=ada).count() == 2
    Customer.objects.filter(pk=ada.pk).update(last_name="Lovelace")
    ada.refresh_from_db()
    assert ada.import_digest is None


@pytest.mark.postgres_only
def test_a_record_found_unchanged_before_the_previous_batch_wrote_its_customer_is_applied(
    tmp_path, organisation
):
    """Batch 2 is looked up while batch 1 is still being written: its line for the customer
    batch 1 changes must be parsed and applied, not skipped."""
    run(write(tmp_path, "email,first_name\nada@example.com,Ada\n", name="first.csv"))
    path = write(tmp_path, "email,first_name\nada@example.com,Bob\nada@example.com,Ada\n")
    assert "created 0, updated 2, unchanged 0, rejected 0." in run(path, "--batch-size", "1")
    assert customers(organisation).get().first_name == "Ada"
    assert ConsentEvent.objects.filter(kind="customer.profile").count() == 3


@pytest.mark.postgres_only
def test_a_known_record_superseded_in_its_batch_is_reported(tmp_path, organisation):
    run(write(tmp_path, "email,first_name\nada@example.com,Ada\n", name="first.csv"))
    path = write(tmp_path, "email,first_name\nada@example.com,Ada\nADA@example.com,Augusta\n")
    assert "created 0, updated 1, unchanged 0, rejected 1." in run(path)
    assert [row[1] for row in report(path)] == ["Superseded by line 3 (same customer)."]
    assert customers(organisation).get().first_name == "Augusta"


@pytest.mark.postgres_only
def test_a_key_no_address_can_hold_is_never_looked_up(tmp_path, organisation):
    run(write(tmp_path, '{"email": "ada@example.com"}\n', name="first.jsonl"))
    path = write(
        tmp_path,
        '{"email": "ada@example.com"}\n{"email": "a\\u0000b@example.com"}\n'
        '{"email": "a\\nb@example.com"}\n',
        name="customers.jsonl",
    )
    assert "created 0, updated 0, unchanged 1, rejected 2." in run(path, "--batch-size", "3")


def test_the_digest_names_the_phone_library_version():
    """New phonenumbers metadata may normalise the same cell differently: no old digest may
    then match, or a re-run would keep numbers the new library writes otherwise."""
    import phonenumbers

    assert f"phonenumbers {phonenumbers.__version__}" in import_customers.DIGEST_VERSION


@pytest.mark.postgres_only
def test_a_changed_digest_version_makes_a_rerun_parse_every_record_again(
    tmp_path, organisation, monkeypatch
):
    path = write(tmp_path, "email,phone\nada@example.com,+44 20 7946 0000\n")
    run(path)
    monkeypatch.setattr(import_customers, "DIGEST_VERSION", "import_customers 1, phonenumbers 99")
    seen = parsed_records(monkeypatch)
    assert "created 0, updated 0, unchanged 1, rejected 0." in run(path)
    assert len(seen) == 1


@pytest.mark.postgres_only
def test_a_rerun_stores_the_new_digest_of_a_record_that_changes_nothing(
    tmp_path, organisation, monkeypatch
):
    """After a new digest version (or a digest another writer cleared) one run parses every
    record; it stores their digests without touching the customers, so the next skips them."""
    path = write(tmp_path, "email,first_name\nada@example.com,Ada\n")
    run(path)
    before = customers(organisation).get()
    monkeypatch.setattr(import_customers, "DIGEST_VERSION", "import_customers 1, phonenumbers 99")
    seen = parsed_records(monkeypatch)
    assert "created 0, updated 0, unchanged 1, rejected 0." in run(path)
    after = customers(organisation).get()
    assert after.import_digest not in (None, before.import_digest)
    assert after.updated_at == before.updated_at
    assert ConsentEvent.objects.count() == 1
    assert "created 0, updated 0, unchanged 1, rejected 0." in run(path)
    assert len(seen) == 1


@pytest.mark.postgres_only
def test_an_unchanged_record_given_twice_in_a_batch_is_reported_superseded(tmp_path, organisation):
    path = write(tmp_path, "email,first_name\nada@example.com,Ada\nada@example.com,Ada\n")
    run(path)
    assert "created 0, updated 0, unchanged 1, rejected 1." in run(path)
    assert report(path) == [(2, "Superseded by line 3 (same customer).")]


@pytest.mark.postgres_only
def test_rows_with_the_wrong_number_of_cells_are_reported_beside_unchanged_ones(
    tmp_path, organisation
):
    path = write(tmp_path, "email,first_name\nada@example.com,Ada\nbob,x,y\ngrace@example.com,G\n")
    run(path)
    assert "created 0, updated 0, unchanged 2, rejected 1." in run(path)
    assert report(path) == [(3, "Expected 2 columns, found 3.")]


def test_unchanged_rows_sharing_a_correlation_id_still_go_through_the_batch_checks():
    command = import_customers.Command()
    header = ["email", "correlation_id"]
    apart = [["a@example.com", "crm-1"], ["b@example.com", " "], ["c@example.com", ""]]
    assert command.unchanged_rows_apart(header, apart, None)
    shared = [["a@example.com", "crm-1"], ["b@example.com", " crm-1"]]
    assert not command.unchanged_rows_apart(header, shared, None)
    assert command.unchanged_rows_apart(["email"], [["a@example.com"]], None)


@pytest.mark.postgres_only
def test_a_csv_file_with_a_repeated_column_is_still_skipped_on_a_rerun(
    tmp_path, organisation, monkeypatch
):
    path = write(tmp_path, "email,first_name,first_name\nada@example.com,Ada,Augusta\n")
    run(path)
    assert customers(organisation).get().first_name == "Augusta"  # the last cell, as before
    seen = parsed_records(monkeypatch)
    assert "created 0, updated 0, unchanged 1, rejected 0." in run(path)
    assert seen == []


@pytest.mark.postgres_only
def test_on_a_rerun_blank_rows_are_skipped_and_rows_without_email_parsed(tmp_path, organisation):
    path = write(tmp_path, "email,first_name\nada@example.com,Ada\n,\n , \n,Bob\n")
    assert "created 1, updated 0, unchanged 0, rejected 1." in run(path)
    assert "created 0, updated 0, unchanged 1, rejected 1." in run(path)
    assert report(path) == [(5, "A customer needs at least one of email, phone, correlation_id.")]
