"""Erasure beside concurrent consent writes of the same customer, on PostgreSQL, real threads.

Whatever the interleaving: no 5xx, and nothing lands on the tombstone (no ledger event after
`customer.erased`, no opt-in or channel row written after it, no network details kept).
"""

import pytest
from django.urls import reverse

from conftest import client_for
from customers.models import ConsentEvent
from customers.tests.concurrency import run_together
from customers.tests.factories import CustomerFactory
from preferences.models import PreferenceOptIn
from preferences.tests.factories import PreferenceFactory
from subscriptions.models import ChannelSubscription

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROUNDS = 15
WRITERS = 6


def test_erasure_beside_opt_ins_leaves_nothing_on_the_tombstone(organisation, rw_user):
    preferences = PreferenceFactory.create_batch(WRITERS, organisation=organisation)
    for round_number in range(ROUNDS):
        customer = CustomerFactory(
            organisation=organisation, correlation_id=f"member-{round_number}"
        )

        def opt_in(preference, customer=customer):
            url = reverse("marketing-preference", args=[customer.uuid, preference.pk])
            return lambda: client_for(rw_user).put(url, HTTP_USER_AGENT="racer")

        def loyalty(customer=customer):
            url = f"/client/users/{customer.correlation_id}/profile/marketing-subscription"
            body = {"email": {"preference": "OPT_IN"}}
            return lambda: client_for(rw_user).put(url, body, format="json")

        def erase(customer=customer):
            return lambda: client_for(rw_user).delete(f"/customers/{customer.email}")

        calls = [opt_in(p) for p in preferences] + [loyalty()]
        calls.insert(round_number % len(calls), erase())
        responses = run_together(calls)

        assert [r for r in responses if isinstance(r, Exception)] == []
        assert all(r.status_code in (200, 404) for r in responses), [
            r.status_code for r in responses
        ]
        events = ConsentEvent.objects.filter(customer=customer).order_by("id")
        erased = events.get(kind="customer.erased")
        assert not events.filter(id__gt=erased.id).exists()
        # The customer's own requests lose their network details (the eraser's are kept).
        before = events.filter(id__lt=erased.id)
        assert not before.exclude(user_agent="").exists()
        assert not before.filter(ip_address__isnull=False).exists()
        opted_in = events.filter(kind="preference.opt_in").count()
        assert PreferenceOptIn.objects.filter(customer=customer).count() == opted_in
        channels = events.filter(kind="channel.subscription").count()
        assert ChannelSubscription.objects.filter(customer=customer).count() == channels
