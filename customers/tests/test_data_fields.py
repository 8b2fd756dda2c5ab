"""customer_merge_data_fields: the one writer of data fields, on the ledger, safe under races."""

from io import StringIO

import pytest
from django.core.management import call_command

from customers.ledger import Provenance
from customers.locking import CustomerErased
from customers.models import ConsentEvent, Customer, Organisation
from customers.services import customer_erase, customer_merge_data_fields
from customers.tests.concurrency import run_together
from customers.tests.factories import CustomerFactory

PROVENANCE = Provenance(source="api", detail="test")


def profile_events(customer):
    return list(
        ConsentEvent.objects.filter(customer=customer, kind="customer.profile").values_list(
            "target", "new_value"
        )
    )


@pytest.mark.django_db
def test_merging_new_keys_keeps_the_others_and_records_the_field_name(organisation):
    customer = CustomerFactory(organisation=organisation, data_fields={"A": "1"})
    assert customer_merge_data_fields(
        customer=customer, data_fields={"B": "secret"}, provenance=PROVENANCE
    )
    customer.refresh_from_db()
    assert customer.data_fields == {"A": "1", "B": "secret"}
    assert profile_events(customer) == [("updated", ["data_fields"])]
    assert "secret" not in str(ConsentEvent.objects.values_list())


@pytest.mark.django_db
def test_merging_what_is_already_there_records_nothing(organisation):
    customer = CustomerFactory(organisation=organisation, data_fields={"A": "1"})
    assert not customer_merge_data_fields(
        customer=customer, data_fields={"A": "1"}, provenance=PROVENANCE
    )
    assert profile_events(customer) == []


@pytest.mark.django_db
def test_merging_into_an_erased_customer_is_refused(organisation):
    customer = CustomerFactory(organisation=organisation)
    stale = Customer.objects.get(pk=customer.pk)
    customer_erase(customer=customer, provenance=PROVENANCE)
    with pytest.raises(CustomerErased):
        customer_merge_data_fields(customer=stale, data_fields={"A": "1"}, provenance=PROVENANCE)
    customer.refresh_from_db()
    assert customer.data_fields == {}


@pytest.mark.django_db
def test_seed_demo_customers_are_on_the_ledger():
    call_command("seed_demo", stdout=StringIO())
    customers = Customer.objects.filter(organisation=Organisation.objects.get(slug="demo"))
    created = ConsentEvent.objects.filter(kind="customer.profile", target="created")
    assert set(created.values_list("customer_id", flat=True)) == set(
        customers.values_list("pk", flat=True)
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_merges_of_different_keys_all_land(organisation, rw_user):
    from conftest import client_for

    customer = CustomerFactory(organisation=organisation, data_fields={})

    def resubscribe(n):
        body = {
            "unsubscribedContact": {
                "email": customer.email,
                "dataFields": [{"key": f"KEY{n}", "value": str(n)}],
            }
        }
        return lambda: client_for(rw_user).post(
            "/v2/contacts/resubscribe-with-no-challenge", body, format="json"
        )

    responses = run_together([resubscribe(n) for n in range(20)])
    assert [getattr(r, "status_code", r) for r in responses] == [200] * 20
    customer.refresh_from_db()
    assert customer.data_fields == {f"KEY{n}": str(n) for n in range(20)}
    assert len(profile_events(customer)) == 20
