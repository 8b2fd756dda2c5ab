"""A consent write that reaches an erased customer (it was found before the erasure committed)
changes nothing and is refused as not found."""

import pytest

from customers.ledger import Provenance
from customers.locking import CustomerErased
from customers.models import ConsentEvent, Customer
from customers.services import customer_erase
from customers.tests.factories import CustomerFactory
from preferences.models import PreferenceOptIn
from preferences.services import preference_opt_ins_set
from preferences.tests.factories import PreferenceFactory
from subscriptions.models import ChannelSubscription
from subscriptions.services import channel_subscriptions_set

pytestmark = pytest.mark.django_db

PROVENANCE = Provenance(source="api", detail="test")


@pytest.fixture
def stale(organisation):
    """A customer as a request loaded it, just before a concurrent erasure committed."""
    customer = CustomerFactory(organisation=organisation)
    stale = Customer.objects.get(pk=customer.pk)
    customer_erase(customer=customer, provenance=PROVENANCE)
    return stale


def test_an_opt_in_to_an_erased_customer_is_refused(stale, organisation):
    preference = PreferenceFactory(organisation=organisation)
    with pytest.raises(CustomerErased):
        preference_opt_ins_set(customer=stale, states={preference.pk: True}, provenance=PROVENANCE)
    assert not PreferenceOptIn.objects.exists()
    assert list(ConsentEvent.objects.values_list("kind", flat=True)) == ["customer.erased"]


def test_a_channel_subscription_of_an_erased_customer_is_refused(stale):
    with pytest.raises(CustomerErased):
        channel_subscriptions_set(
            customer=stale, statuses={"email": "OPT_IN"}, provenance=PROVENANCE
        )
    assert not ChannelSubscription.objects.exists()


def test_resubscribe_with_no_challenge_puts_data_fields_on_the_ledger(rw_client, organisation):
    customer = CustomerFactory(organisation=organisation, data_fields={})
    body = {
        "unsubscribedContact": {
            "email": customer.email,
            "dataFields": [{"key": "FIRSTNAME", "value": "Nelson"}],
        }
    }
    response = rw_client.post("/v2/contacts/resubscribe-with-no-challenge", body, format="json")
    assert response.status_code == 200
    assert response.json()["contact"]["dataFields"] == [{"key": "FIRSTNAME", "value": "Nelson"}]
    event = ConsentEvent.objects.get(kind="customer.profile")
    assert (event.customer_id, event.new_value) == (customer.pk, ["data_fields"])
    assert "Nelson" not in str(event.new_value)
