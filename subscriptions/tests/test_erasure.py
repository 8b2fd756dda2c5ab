"""Erasure keeps suppression as a keyed hash (DESIGN §7)."""

import pytest

from customers.ledger import Provenance
from customers.services import customer_erase
from customers.tests.factories import CustomerFactory
from subscriptions.models import Suppression
from subscriptions.tests.factories import email_status

pytestmark = pytest.mark.django_db


def test_erasing_drops_the_address_and_keeps_the_hash(rw_client, customer):
    rw_client.post("/v2/contacts/unsubscribe", {"email": customer.email}, format="json")
    key = Suppression.objects.get().address_key
    customer_erase(customer=customer, provenance=Provenance(source="system"))
    entry = Suppression.objects.get()
    assert entry.email is None
    assert entry.address_key == key


def test_an_erased_address_added_again_comes_back_suppressed(rw_client, organisation, customer):
    rw_client.post("/v2/contacts/unsubscribe", {"email": customer.email}, format="json")
    customer_erase(customer=customer, provenance=Provenance(source="system"))
    again = CustomerFactory(organisation=organisation, email="John.Smith@emailsim.io")
    assert email_status(again) == "Unsubscribed"


def test_an_erased_address_imported_again_comes_back_suppressed(
    rw_client, organisation, customer, tmp_path
):
    from django.core.management import call_command

    rw_client.post("/v2/contacts/unsubscribe", {"email": customer.email}, format="json")
    customer_erase(customer=customer, provenance=Provenance(source="system"))
    path = tmp_path / "suppressions.csv"
    path.write_text("email,reason,date_removed\njohn.smith@emailsim.io,Suppressed,\n")
    call_command("import_suppressions", str(path), "--organisation", organisation.slug)
    entry = Suppression.objects.get()
    # Still the first reason, and the address is known again.
    assert (entry.reason, entry.email) == ("Unsubscribed", "john.smith@emailsim.io")
    again = CustomerFactory(organisation=organisation, email="john.smith@emailsim.io")
    assert email_status(again) == "Unsubscribed"


def test_erased_entries_are_not_listed_since_a_date(rw_client, customer):
    rw_client.post("/v2/contacts/unsubscribe", {"email": customer.email}, format="json")
    customer_erase(customer=customer, provenance=Provenance(source="system"))
    assert rw_client.get("/v2/contacts/suppressed-since/2000-01-01").json() == []
