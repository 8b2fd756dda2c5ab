"""The one opt-in writer: set-based upsert, one ledger event per effective change (rule R4),
no duplicate rows under concurrency."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from customers.ledger import Provenance, Source
from customers.tests.factories import ApiUserFactory, CustomerFactory
from preferences.models import PreferenceOptIn
from preferences.services import OptInItem, preference_opt_ins_apply, preference_opt_ins_set

from .conftest import opt_in_events
from .factories import PreferenceFactory, PreferenceOptInFactory

PROVENANCE = Provenance(source=Source.SYSTEM, detail="test")


@pytest.mark.django_db
def test_it_writes_one_event_per_effective_change(customer, organisation):
    a, b, c = PreferenceFactory.create_batch(3, organisation=organisation)
    PreferenceOptInFactory(customer=customer, preference=b, opted_in=True)

    result = preference_opt_ins_set(
        customer=customer, states={a.pk: True, b.pk: True, c.pk: False}, provenance=PROVENANCE
    )

    assert (result.created, result.updated, result.unchanged) == (1, 0, 2)
    assert opt_in_events(customer) == [(str(a.pk), False, True, "system")]


@pytest.mark.django_db
def test_it_writes_nothing_when_nothing_changes(customer, preference):
    preference_opt_ins_set(customer=customer, states={preference.pk: False}, provenance=PROVENANCE)
    assert not PreferenceOptIn.objects.exists()
    assert opt_in_events() == []


@pytest.mark.django_db
def test_it_updates_in_place(customer, preference):
    PreferenceOptInFactory(customer=customer, preference=preference, opted_in=True)
    result = preference_opt_ins_set(
        customer=customer, states={preference.pk: False}, provenance=PROVENANCE
    )
    assert result.updated == 1
    assert PreferenceOptIn.objects.get().opted_in is False
    assert opt_in_events(customer) == [(str(preference.pk), True, False, "system")]


@pytest.mark.django_db
def test_it_handles_many_customers_in_constant_queries(
    organisation, preference, django_assert_num_queries
):
    customers = CustomerFactory.create_batch(20, organisation=organisation)
    items = [
        OptInItem(customer_id=c.pk, preference_id=preference.pk, opted_in=True) for c in customers
    ]
    # savepoint, lock preferences, lock customers, read states, upsert, ledger, release
    with django_assert_num_queries(7, exact=False):
        result = preference_opt_ins_apply(
            organisation=organisation, items=items, provenance=PROVENANCE
        )
    assert result.created == 20
    assert len(opt_in_events()) == 20


@pytest.mark.django_db
def test_skip_stale_keeps_a_newer_state(customer, preference):
    PreferenceOptInFactory(
        customer=customer,
        preference=preference,
        opted_in=True,
        modified_at=datetime(2021, 1, 1, tzinfo=UTC),
    )
    result = preference_opt_ins_apply(
        organisation=customer.organisation,
        items=[
            OptInItem(
                customer_id=customer.pk,
                preference_id=preference.pk,
                opted_in=False,
                modified_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
        ],
        provenance=PROVENANCE,
        skip_stale=True,
    )
    assert result.unchanged == 1
    assert PreferenceOptIn.objects.get().opted_in is True


@pytest.mark.django_db
def test_the_given_modified_time_is_kept(customer, preference):
    when = datetime(2020, 5, 5, tzinfo=UTC)
    preference_opt_ins_apply(
        organisation=customer.organisation,
        items=[OptInItem(customer.pk, preference.pk, True, when)],
        provenance=PROVENANCE,
    )
    assert PreferenceOptIn.objects.get().modified_at == when


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_put_and_delete_keep_one_row_and_a_consistent_ledger(organisation):
    from conftest import client_for

    customer = CustomerFactory(organisation=organisation)
    preference = PreferenceFactory(organisation=organisation)
    user = ApiUserFactory(membership__organisation=organisation)
    url = f"/customers/customers/{customer.uuid}/marketing-preferences/{preference.pk}"
    statuses = []
    barrier = threading.Barrier(4)

    def toggle(method):
        client = client_for(user)
        try:
            barrier.wait()
            for _ in range(15):
                statuses.append(getattr(client, method)(url).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=toggle, args=(m,)) for m in ("put", "delete") * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(statuses) <= {200, 204}
    assert len(statuses) == 60
    rows = PreferenceOptIn.objects.filter(customer=customer, preference=preference)
    assert rows.count() == 1
    events = opt_in_events(customer)
    assert events, "some toggles must have changed the state"
    state = False
    for _, old, new, _ in events:
        assert (old, new) == (state, not state)  # each event follows the one before
        state = new
    assert rows.get().opted_in is state
