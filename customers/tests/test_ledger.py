"""The consent ledger: one writer, no-op changes dropped, rows never changed (rule R4)."""

import re
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from customers.ledger import (
    Change,
    Provenance,
    record_change,
    record_changes,
    record_changes_from_sql,
    redact_events_of,
)
from customers.models import ConsentEvent, LedgerIsAppendOnly
from customers.tests.factories import ConsentEventFactory, CustomerFactory

pytestmark = pytest.mark.django_db

PROVENANCE = Provenance(
    source="api", detail="PUT /x", actor="rw", ip_address="198.51.100.7", request_id="r1"
)


def test_it_records_one_event_per_effective_change(organisation):
    customer = CustomerFactory(organisation=organisation)
    with transaction.atomic():
        written = record_changes(
            organisation=organisation,
            changes=[
                Change("preference.opt_in", "1", False, True, customer_id=customer.pk),
                Change("preference.opt_in", "2", True, True, customer_id=customer.pk),
                Change("email.subscription", "", "Subscribed", "Unsubscribed", subject_key="k"),
            ],
            provenance=PROVENANCE,
        )
    assert written == 2
    event = ConsentEvent.objects.get(target="1")
    assert (event.old_value, event.new_value, event.actor, event.request_id) == (
        False,
        True,
        "rw",
        "r1",
    )
    assert event.ip_address == "198.51.100.7"


def test_a_change_that_changes_nothing_writes_nothing(organisation):
    with transaction.atomic():
        written = record_change(
            organisation=organisation,
            change=Change("preference.opt_in", "1", True, True),
            provenance=PROVENANCE,
        )
    assert written is False
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_record_outside_a_transaction(organisation):
    with pytest.raises(RuntimeError):
        record_change(
            organisation=organisation,
            change=Change("preference.opt_in", "1", False, True),
            provenance=PROVENANCE,
        )


def test_an_event_cannot_be_changed_through_the_model():
    event = ConsentEventFactory()
    event.new_value = False
    with pytest.raises(LedgerIsAppendOnly):
        event.save()


def test_an_event_cannot_be_deleted_through_the_model():
    event = ConsentEventFactory()
    with pytest.raises(LedgerIsAppendOnly):
        event.delete()


def test_events_cannot_be_changed_or_deleted_in_bulk():
    ConsentEventFactory()
    with pytest.raises(LedgerIsAppendOnly):
        ConsentEvent.objects.update(new_value=False)
    with pytest.raises(LedgerIsAppendOnly):
        ConsentEvent.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger is PostgreSQL only")
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE customers_consentevent SET new_value = 'false'",
        "DELETE FROM customers_consentevent",
        "UPDATE customers_consentevent SET ip_address = NULL, user_agent = ''",
    ],
)
def test_the_database_refuses_changes_to_events(statement):
    ConsentEventFactory(ip_address="203.0.113.1")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger is PostgreSQL only")
def test_the_database_lets_redaction_blank_only_network_details():
    event = ConsentEventFactory(ip_address="203.0.113.1", user_agent="UA")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL consent.ledger_redaction = 'on'")
        cursor.execute(
            "UPDATE customers_consentevent SET ip_address = NULL, user_agent = '', "
            "new_value = 'false'"
        )
    assert redact_events_of(event.customer) == 1
    event.refresh_from_db()
    assert (event.ip_address, event.user_agent, event.new_value) == (None, "", True)


def test_many_changes_are_recorded_in_one_insert(organisation, django_assert_num_queries):
    customers = [CustomerFactory(organisation=organisation) for _ in range(3)]
    changes = [
        Change("preference.opt_in", str(n), None, {"opted_in": True, "n": n}, customer_id=c.pk)
        for n, c in enumerate(customers)
    ] + [Change("email.suppression", "", None, "Unsubscribed", subject_key="abc")]
    # SQLite: one bulk INSERT; PostgreSQL: one INSERT … unnest.
    with transaction.atomic(), django_assert_num_queries(1):
        assert (
            record_changes(organisation=organisation, changes=changes, provenance=PROVENANCE) == 4
        )
    stored = {(e.kind, e.target): e for e in ConsentEvent.objects.all()}
    for change in changes:
        row = stored[(change.kind, change.target)]
        assert (row.kind, row.target, row.old_value, row.new_value) == (
            change.kind,
            change.target,
            change.old,
            change.new,
        )
        assert (row.customer_id, row.subject_key) == (change.customer_id, change.subject_key)
        assert (row.actor, row.ip_address, row.request_id) == ("rw", "198.51.100.7", "r1")


@pytest.mark.postgres_only
def test_a_sql_source_appends_its_effective_changes_in_the_same_statement(organisation):
    customer = CustomerFactory(organisation=organisation)
    with transaction.atomic():
        rows = record_changes_from_sql(
            organisation=organisation,
            provenance=PROVENANCE,
            ctes="src AS (SELECT %(customer)s::bigint AS id)",
            changes=(
                "SELECT id, '', 'preference.opt_in', '1', 'false'::jsonb, 'true'::jsonb FROM src "
                "UNION ALL SELECT id, '', 'preference.opt_in', '2', 'true'::jsonb, 'true'::jsonb "
                "FROM src"
            ),
            result="SELECT count(*) FROM src",
            params={"customer": customer.pk},
        )
    assert rows == [(1,)]
    event = ConsentEvent.objects.get()
    assert (event.customer_id, event.target, event.old_value, event.new_value) == (
        customer.pk,
        "1",
        False,
        True,
    )
    assert (event.actor, event.request_id, event.ip_address) == ("rw", "r1", "198.51.100.7")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_sql_source_is_refused_outside_a_transaction(organisation):
    with pytest.raises(RuntimeError):
        record_changes_from_sql(
            organisation=organisation,
            provenance=PROVENANCE,
            ctes="src AS (SELECT 1 AS id)",
            changes="SELECT NULL::bigint, 'k', 'x', '', NULL::jsonb, 'true'::jsonb",
            result="SELECT 1",
            params={},
        )
    assert not ConsentEvent.objects.exists()


# Ways to write the ledger's table other than through customers/ledger.py.
_LEDGER_WRITES = re.compile(
    r"\bcustomers_consentevent\b|(?<!class )ConsentEvent\(|ConsentEvent\.objects\."
    r"(create|bulk_create|get_or_create|update_or_create|update|delete|raw)\b"
)


def test_nothing_but_the_ledger_module_writes_the_ledger_table():
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        parts = relative.parts
        if parts[0].startswith(".") or parts[0] in {"bench", "docs"}:
            continue
        if "migrations" in parts or "tests" in parts or relative == Path("customers/ledger.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _LEDGER_WRITES.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
