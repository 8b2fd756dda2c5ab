"""The bulk-written tables' references, checked per statement by triggers (customers.references),
hold as foreign key constraints would: a row naming a missing row is refused, whole statement and
all; a referenced row cannot be deleted or re-keyed; a concurrent delete cannot slip between."""

import threading

import pytest
from django.db import IntegrityError, NotSupportedError, connection, transaction

from customers.models import ConsentEvent, Customer, Organisation
from customers.references import checked_references, trigger_names
from customers.tests.concurrency import run_together
from customers.tests.factories import ConsentEventFactory, CustomerFactory, OrganisationFactory
from emaillogs.models import EmailLog
from emaillogs.tests.factories import EmailLogFactory
from preferences.models import Preference, PreferenceOptIn
from preferences.tests.factories import PreferenceOptInFactory
from subscriptions.models import Suppression
from subscriptions.tests.factories import SuppressionFactory

MISSING = 987_654_321

# (model, its factory, the reference's field) for every reference checked by triggers.
CASES = {
    ("customers_customer", "organisation_id"): (Customer, CustomerFactory, "organisation"),
    ("customers_consentevent", "organisation_id"): (
        ConsentEvent,
        ConsentEventFactory,
        "organisation",
    ),
    ("customers_consentevent", "customer_id"): (ConsentEvent, ConsentEventFactory, "customer"),
    ("subscriptions_suppression", "organisation_id"): (
        Suppression,
        SuppressionFactory,
        "organisation",
    ),
    ("emaillogs_emaillog", "organisation_id"): (EmailLog, EmailLogFactory, "organisation"),
    ("emaillogs_emaillog", "customer_id"): (EmailLog, EmailLogFactory, "customer"),
    ("preferences_preferenceoptin", "customer_id"): (
        PreferenceOptIn,
        PreferenceOptInFactory,
        "customer",
    ),
    ("preferences_preferenceoptin", "preference_id"): (
        PreferenceOptIn,
        PreferenceOptInFactory,
        "preference",
    ),
}
REFERENCES = [pytest.param(ref, id=f"{ref.table}.{ref.column}") for ref in checked_references()]


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall()}


def _refused(call) -> None:
    """`call` fails as a foreign key would (in a savepoint, so the test can go on)."""
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        call()
    assert "foreign key" in str(raised.value).lower()


def _missing_copy(model, factory, field):
    """An unsaved row like the factory's, but naming a row that does not exist."""
    row = factory.build(**_saved_parents(factory, field))
    setattr(row, f"{field}_id", MISSING)
    return row


def _saved_parents(factory, field) -> dict:
    """The other references of a row, saved, so that only `field` is missing."""
    sample = factory()
    values = {}
    for other in sample._meta.concrete_fields:
        if other.is_relation and other.name != field:
            values[other.name] = getattr(sample, other.name)
    sample_model = type(sample)
    if sample_model is Customer:
        values["email"] = "another@example.com"
    if sample_model is PreferenceOptIn:  # (customer, preference) is unique
        values["customer"] = CustomerFactory(organisation=sample.preference.organisation)
    if sample_model is Suppression:
        values.update(email="another@example.com", address_key="another")
    return values


def test_every_reference_checked_by_triggers_has_a_case_here():
    assert {(ref.table, ref.column) for ref in checked_references()} == set(CASES)


@pytest.mark.django_db
@pytest.mark.parametrize("reference", REFERENCES)
def test_every_checked_reference_has_its_triggers_after_all_migrations(reference):
    assert trigger_names(connection.vendor, reference) <= _triggers()


@pytest.mark.django_db
@pytest.mark.parametrize("reference", REFERENCES)
def test_a_row_naming_a_missing_row_is_refused_and_nothing_is_written(reference):
    model, factory, field = CASES[(reference.table, reference.column)]
    row = _missing_copy(model, factory, field)
    before = model.objects.count()

    _refused(lambda: model.objects.bulk_create([row]))

    assert model.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("reference", REFERENCES)
def test_changing_a_reference_to_a_missing_row_is_refused(reference):
    model, factory, field = CASES[(reference.table, reference.column)]
    row = factory()
    if model is ConsentEvent:
        pytest.skip("the ledger refuses every update already (append-only)")

    _refused(lambda: model.objects.filter(pk=row.pk).update(**{f"{field}_id": MISSING}))

    row.refresh_from_db()
    assert getattr(row, f"{field}_id") != MISSING


@pytest.mark.postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("reference", REFERENCES)
def test_a_referenced_row_cannot_be_deleted_behind_the_orms_back(reference):
    _, factory, field = CASES[(reference.table, reference.column)]
    row = factory()
    parent = getattr(row, field)

    def delete_with_sql():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {reference.referenced_table} WHERE id = %s", [parent.pk])

    _refused(delete_with_sql)
    assert type(parent).objects.filter(pk=parent.pk).exists()


@pytest.mark.postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("reference", REFERENCES)
def test_a_referenced_row_cannot_change_its_id(reference):
    _, factory, field = CASES[(reference.table, reference.column)]
    parent = getattr(factory(), field)

    def rekey():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {reference.referenced_table} SET id = %s WHERE id = %s",
                [MISSING, parent.pk],
            )

    _refused(rekey)


@pytest.mark.django_db
def test_one_missing_customer_refuses_the_whole_statement_of_ledger_events():
    customers = CustomerFactory.create_batch(20)
    events = [ConsentEventFactory.build(customer=customer) for customer in customers]
    events[13].customer_id = MISSING

    _refused(lambda: ConsentEvent.objects.bulk_create(events))

    assert ConsentEvent.objects.count() == 0


@pytest.mark.django_db
def test_rows_without_a_customer_need_none():
    organisation = OrganisationFactory()
    ConsentEventFactory(customer=None, organisation=organisation, subject_key="k")

    assert ConsentEvent.objects.filter(customer=None).count() == 1


@pytest.mark.django_db
def test_unreferenced_rows_are_deleted_as_before():
    preference = PreferenceOptInFactory().preference

    preference.delete()  # its opt-ins go first (on_delete=CASCADE), then the preference

    assert not Preference.objects.filter(pk=preference.pk).exists()
    assert PreferenceOptIn.objects.count() == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_delete_waiting_for_a_new_event_is_refused_once_the_event_commits():
    customer = CustomerFactory()
    inserted, release = threading.Event(), threading.Event()

    def record_event():
        with transaction.atomic():
            ConsentEventFactory(customer=customer)
            inserted.set()
            release.wait(10)  # holds the customer's KEY SHARE lock until the delete waits

    def delete_customer():
        inserted.wait(10)
        threading.Timer(0.5, release.set).start()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM customers_customer WHERE id = %s", [customer.pk])

    recorded, deleted = run_together([record_event, delete_customer])

    assert recorded is None
    assert isinstance(deleted, IntegrityError)
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert ConsentEvent.objects.filter(customer=customer).count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_event_waiting_for_a_delete_of_its_customer_is_refused_once_the_delete_commits():
    customer = CustomerFactory()
    organisation = customer.organisation
    deleted, release = threading.Event(), threading.Event()

    def delete_customer():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM customers_customer WHERE id = %s", [customer.pk])
            deleted.set()
            release.wait(10)

    def record_event():
        deleted.wait(10)
        threading.Timer(0.5, release.set).start()
        ConsentEventFactory(customer=customer, organisation=organisation)

    removed, recorded = run_together([delete_customer, record_event])

    assert removed is None
    assert isinstance(recorded, IntegrityError)
    assert ConsentEvent.objects.count() == 0
    assert Organisation.objects.filter(pk=organisation.pk).exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_referenced_row_is_not_deleted_at_repeatable_read():
    customer = CustomerFactory()

    with pytest.raises(NotSupportedError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("DELETE FROM customers_customer WHERE id = %s", [customer.pk])

    assert Customer.objects.filter(pk=customer.pk).exists()


class _Executor:
    """What install needs of a schema editor, without one (SQLite's refuses to work inside the
    test's transaction)."""

    connection = connection

    def execute(self, sql, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.mark.django_db
def test_the_triggers_can_be_installed_again():
    from customers.references import install

    install(_Executor(), ConsentEvent)

    names = {name for ref in checked_references() for name in trigger_names(connection.vendor, ref)}
    assert names <= _triggers()
