"""Deleting a preference while customers opt in to it, on PostgreSQL with real threads."""

import pytest
from django.urls import reverse

from conftest import client_for
from customers.models import ConsentEvent
from customers.tests.concurrency import run_together
from customers.tests.factories import CustomerFactory
from preferences.models import PreferenceOptIn

from .factories import PreferenceFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROUNDS = 10
OPT_INS = 6


def opt_in(user, customer, preference):
    def call():
        url = reverse("marketing-preference", args=[customer.uuid, preference.pk])
        return client_for(user).put(url)

    return call


def delete(user, preference):
    def call():
        return client_for(user).delete(reverse("v2-preference", args=[preference.pk]))

    return call


def test_deleting_a_preference_beside_opt_ins_records_an_opt_out_for_each_removed(
    organisation, rw_user
):
    customers = CustomerFactory.create_batch(OPT_INS, organisation=organisation)
    for _ in range(ROUNDS):
        preference = PreferenceFactory(organisation=organisation)
        calls = [opt_in(rw_user, customer, preference) for customer in customers]
        calls.insert(OPT_INS // 2, delete(rw_user, preference))
        responses = run_together(calls)

        assert [r for r in responses if isinstance(r, Exception)] == []
        statuses = sorted(r.status_code for r in responses)
        assert all(status in (200, 404) for status in statuses), statuses
        events = ConsentEvent.objects.filter(kind="preference.opt_in", target=str(preference.pk))
        opted_in = set(events.filter(new_value=True).values_list("customer_id", flat=True))
        opted_out = list(events.filter(new_value=False).values_list("customer_id", flat=True))
        # Every opt-in that landed before the delete was undone by it, on the ledger.
        assert sorted(opted_out) == sorted(opted_in)
        assert not PreferenceOptIn.objects.filter(preference_id=preference.pk).exists()
