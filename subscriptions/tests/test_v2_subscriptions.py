"""GET /v2/contacts/{email}/subscriptions."""

from datetime import UTC, datetime

import pytest

from preferences.models import Preference, PreferenceOptIn
from subscriptions.tests.factories import SuppressionFactory

pytestmark = pytest.mark.django_db

T = datetime(2020, 1, 1, 9, 40, 18, 527000, tzinfo=UTC)


def url(email):
    return f"/v2/contacts/{email}/subscriptions"


def test_the_seed_example(rw_client, organisation, customer):
    customer.email_type = "Html"
    customer.save()
    states = []
    for opted_in in [False, False, True, False]:
        preference = Preference.objects.create(
            organisation=organisation, public_name="P", private_name="P"
        )
        PreferenceOptIn.objects.create(
            customer=customer, preference=preference, opted_in=opted_in, modified_at=T
        )
        states.append((preference.pk, opted_in))
    response = rw_client.get(url("John.Smith@emailsim.io"))
    assert response.status_code == 200
    assert response.json() == {
        "contact": {
            "id": customer.pk,
            "email": "john.smith@emailsim.io",
            "optInType": "Unknown",
            "emailType": "Html",
            "dataFields": None,
            "status": "Subscribed",
        },
        "marketingPreferenceOptIns": [
            {
                "marketingPreferenceId": pk,
                "addressBookId": 0,
                "isOptedIn": opted_in,
                "dateModifed": "2020-01-01T09:40:18.527Z",
            }
            for pk, opted_in in states
        ],
    }


def test_the_status_shows_the_suppression(rw_client, customer):
    SuppressionFactory(
        organisation=customer.organisation, email=customer.email, reason="IspComplained"
    )
    assert rw_client.get(url(customer.email)).json()["contact"]["status"] == "IspComplained"


def test_unknown_and_foreign_addresses_are_404(rw_client, other_client, customer):
    assert rw_client.get(url("nobody@example.com")).status_code == 404
    assert other_client.get(url(customer.email)).status_code == 404


def test_it_takes_a_constant_number_of_queries(rw_client, customer, django_assert_max_num_queries):
    rw_client.get(url(customer.email))  # warm the auth cache
    # user + membership (auth), customer, its suppression status, its opt-ins.
    with django_assert_max_num_queries(4):
        assert rw_client.get(url(customer.email)).status_code == 200
