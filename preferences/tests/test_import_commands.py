"""import_preferences and import_optins on the shared import framework."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from customers.models import ConsentEvent
from customers.tests.factories import CustomerFactory
from customers.tests.importing import rejected_rows, run_import
from preferences.models import Preference, PreferenceOptIn

from .factories import CategoryFactory, PreferenceFactory, PreferenceOptInFactory

pytestmark = pytest.mark.django_db


def run(command, path, *args):
    return run_import(command, path, *args)


rejects = rejected_rows


# import_preferences -----------------------------------------------------------------------------
PREFERENCES_CSV = (
    "id,public_name,private_name,is_preference,category_id,order,is_public\n"
    "9001,Newsletters,news,false,,0,true\n"
    "9002,Weekly,weekly,true,9001,0,yes\n"
    "9003,Monthly,monthly,1,9001,1,no\n"
    "9004,Football,football,true,,1,true\n"
)


@pytest.fixture
def preferences_file(tmp_path, organisation):
    path = tmp_path / "preferences.csv"
    path.write_text(PREFERENCES_CSV, encoding="utf-8")
    return path


def test_import_preferences_creates_the_tree(preferences_file, organisation):
    output = run("import_preferences", preferences_file)

    assert "created 4, updated 0, unchanged 0, rejected 0." in output
    monthly = Preference.objects.get(pk=9003)
    assert monthly.category_id == 9001
    assert monthly.is_public is False
    assert monthly.organisation == organisation
    assert list(
        Preference.objects.filter(category=None).order_by("order").values_list("pk", "order")
    ) == [(9001, 0), (9004, 1)]


def test_import_preferences_rerun_changes_nothing(preferences_file):
    run("import_preferences", preferences_file)
    output = run("import_preferences", preferences_file)
    assert "created 0, updated 0, unchanged 4, rejected 0." in output
    assert Preference.objects.count() == 4


def test_import_preferences_updates_by_id(preferences_file, tmp_path):
    run("import_preferences", preferences_file)
    change = tmp_path / "change.csv"
    change.write_text("id,public_name,is_preference\n9004,Rugby,true\n", encoding="utf-8")
    assert "updated 1" in run("import_preferences", change)
    assert Preference.objects.get(pk=9004).public_name == "Rugby"


def test_import_preferences_new_ids_follow_imported_ones(preferences_file, organisation):
    run("import_preferences", preferences_file)
    assert PreferenceFactory(organisation=organisation).pk > 9004


def test_import_preferences_rejects_bad_rows(tmp_path, organisation, other_organisation):
    theirs = PreferenceFactory(organisation=other_organisation)
    mine = PreferenceFactory(organisation=organisation)
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,public_name,is_preference,category_id,order\n"
        f"{theirs.pk},Stolen,true,,\n"
        ",,true,,\n"
        "9100,Nested,false,9101,\n"
        "9102,Orphan,true,777777,\n"
        "9103,Odd,maybe,,\n"
        "9104,Neg,true,,-1\n"
        "9106,Nul\x00,true,,\n"
        f"9105,InPref,true,{mine.pk},\n",
        encoding="utf-8",
    )
    output = run("import_preferences", path)
    assert "created 0, updated 0, unchanged 0, rejected 8." in output
    assert sorted(line for line, _ in rejects(path)) == [2, 3, 4, 5, 6, 7, 8, 9]
    theirs.refresh_from_db()
    assert theirs.public_name != "Stolen"


def test_import_preferences_dry_run_writes_nothing(preferences_file):
    assert "Dry run" in run("import_preferences", preferences_file, "--dry-run")
    assert not Preference.objects.exists()


# import_optins ----------------------------------------------------------------------------------
@pytest.fixture
def optin_setup(organisation):
    customers = [
        CustomerFactory(organisation=organisation, email=f"c{i}@example.com") for i in range(3)
    ]
    preference = PreferenceFactory(organisation=organisation)
    return customers, preference


def test_import_optins_by_id_uuid_and_email(tmp_path, optin_setup):
    customers, preference = optin_setup
    path = tmp_path / "optins.csv"
    path.write_text(
        "customer,preference_id,opted_in,modified\n"
        f"{customers[0].pk},{preference.pk},true,2020-01-01T10:00:00Z\n"
        f"{customers[1].uuid},{preference.pk},yes,1577872800\n"
        f"C2@EXAMPLE.COM,{preference.pk},0,\n",
        encoding="utf-8",
    )

    output = run("import_optins", path)

    # c2 opting out is the implicit state already: unchanged, no row.
    assert "created 2, updated 0, unchanged 1, rejected 0." in output
    rows = PreferenceOptIn.objects.order_by("customer_id")
    assert [(r.customer_id, r.opted_in) for r in rows] == [
        (customers[0].pk, True),
        (customers[1].pk, True),
    ]
    assert rows[0].modified_at == datetime(2020, 1, 1, 10, tzinfo=UTC)
    events = ConsentEvent.objects.filter(kind="preference.opt_in")
    assert events.count() == 2
    assert set(events.values_list("source", flat=True)) == {"import"}


def test_import_optins_rerun_is_idempotent(tmp_path, optin_setup):
    customers, preference = optin_setup
    path = tmp_path / "optins.jsonl"
    path.write_text(
        f'{{"customer": "{customers[0].email}", "preference_id": {preference.pk}, '
        '"opted_in": true}\n',
        encoding="utf-8",
    )
    run("import_optins", path)
    assert "created 0, updated 0, unchanged 1" in run("import_optins", path)
    assert ConsentEvent.objects.filter(kind="preference.opt_in").count() == 1


def test_import_optins_leaves_newer_states_alone(tmp_path, optin_setup):
    customers, preference = optin_setup
    PreferenceOptInFactory(
        customer=customers[0],
        preference=preference,
        opted_in=True,
        modified_at=datetime(2022, 1, 1, tzinfo=UTC),
    )
    path = tmp_path / "old.csv"
    path.write_text(
        f"customer,preference_id,opted_in,modified\n{customers[0].pk},{preference.pk},false,2021-01-01\n",
        encoding="utf-8",
    )
    assert "unchanged 1" in run("import_optins", path)
    assert PreferenceOptIn.objects.get().opted_in is True


def test_import_optins_rejects_unknown_and_foreign(tmp_path, optin_setup, other_organisation):
    customers, preference = optin_setup
    theirs = CustomerFactory(organisation=other_organisation)
    their_pref = PreferenceFactory(organisation=other_organisation)
    category = CategoryFactory(organisation=customers[0].organisation)
    path = tmp_path / "bad.csv"
    path.write_text(
        "customer,preference_id,opted_in\n"
        f"{theirs.pk},{preference.pk},true\n"
        f"{customers[0].pk},{their_pref.pk},true\n"
        f"{customers[0].pk},{category.pk},true\n"
        f"nobody,{preference.pk},true\n"
        f"{customers[0].pk},abc,true\n"
        f"{customers[0].pk},{preference.pk},perhaps\n"
        f"{customers[0].pk},{preference.pk},1\n",
        encoding="utf-8",
    )
    output = run("import_optins", path)
    assert "created 1, updated 0, unchanged 0, rejected 6." in output
    assert sorted(line for line, _ in rejects(path)) == [2, 3, 4, 5, 6, 7]
    assert PreferenceOptIn.objects.count() == 1


def test_import_optins_updates_a_stored_state_and_records_old_and_new(tmp_path, optin_setup):
    customers, preference = optin_setup
    PreferenceOptInFactory(
        customer=customers[0],
        preference=preference,
        opted_in=True,
        modified_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    path = tmp_path / "out.csv"
    path.write_text(
        f"customer,preference_id,opted_in,modified\n{customers[0].pk},{preference.pk},no,"
        "2021-06-01T12:30:00+02:00\n",
        encoding="utf-8",
    )

    assert "created 0, updated 1, unchanged 0, rejected 0." in run("import_optins", path)

    row = PreferenceOptIn.objects.get()
    assert (row.opted_in, row.modified_at) == (False, datetime(2021, 6, 1, 10, 30, tzinfo=UTC))
    event = ConsentEvent.objects.get(kind="preference.opt_in")
    assert (event.customer_id, event.target, event.old_value, event.new_value) == (
        customers[0].pk,
        str(preference.pk),
        True,
        False,
    )


def test_import_optins_applies_a_state_as_old_as_the_stored_one(tmp_path, optin_setup):
    customers, preference = optin_setup
    stamp = datetime(2022, 1, 1, tzinfo=UTC)
    PreferenceOptInFactory(
        customer=customers[0], preference=preference, opted_in=True, modified_at=stamp
    )
    path = tmp_path / "same.csv"
    path.write_text(
        f"customer,preference_id,opted_in,modified\n{customers[0].pk},{preference.pk},false,"
        f"{int(stamp.timestamp())}\n",
        encoding="utf-8",
    )

    assert "updated 1" in run("import_optins", path)
    assert PreferenceOptIn.objects.get().opted_in is False


def test_import_optins_repeated_pair_counts_once_as_the_last_word(tmp_path, optin_setup):
    customers, preference = optin_setup
    path = tmp_path / "twice.csv"
    path.write_text(
        "customer,preference_id,opted_in\n"
        f"{customers[0].pk},{preference.pk},false\n"
        f"{customers[0].email.upper()},{preference.pk},true\n",
        encoding="utf-8",
    )

    assert "created 1, updated 0, unchanged 1, rejected 0." in run("import_optins", path)
    assert PreferenceOptIn.objects.get().opted_in is True
    assert ConsentEvent.objects.filter(kind="preference.opt_in").count() == 1


def test_import_optins_without_modified_stamps_the_ledger_time(tmp_path, optin_setup):
    customers, preference = optin_setup
    path = tmp_path / "now.csv"
    path.write_text(
        f"customer,preference_id,opted_in\n{customers[1].uuid},{preference.pk},TRUE\n",
        encoding="utf-8",
    )

    assert "created 1" in run("import_optins", path)
    event = ConsentEvent.objects.get(kind="preference.opt_in")
    assert PreferenceOptIn.objects.get().modified_at == event.occurred_at


def test_import_optins_batch_runs_constant_queries(
    tmp_path, organisation, django_assert_max_num_queries
):
    customers = [
        CustomerFactory(organisation=organisation, email=f"q{i}@example.com") for i in range(30)
    ]
    preferences = [PreferenceFactory(organisation=organisation) for _ in range(3)]
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("customer,preference_id,opted_in,modified\n")
        for i, customer in enumerate(customers):
            name = (customer.pk, customer.email, customer.uuid)[i % 3]
            for preference in preferences:
                f.write(f"{name},{preference.pk},{i % 2},2024-01-0{1 + i % 9}\n")
    # 1 the organisation; per batch: 2 the batch's savepoint, 3-5 customers by id, email and
    # UUID, 6 the preferences, 7 the service's savepoint, 8-9 lock preferences and customers,
    # 10 jit and synchronous_commit off, 11 states compared, upserted and recorded, 12-13
    # release the savepoints. SQLite: 10 the stored states, 11 the upsert, 12 the ledger rows.
    budget = 13 if connection.vendor == "postgresql" else 14
    with django_assert_max_num_queries(budget):
        assert "created 45, updated 0, unchanged 45, rejected 0." in run("import_optins", path)
