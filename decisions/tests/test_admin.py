"""The customer page answers "may we send now?" with the decision API's reasons."""

import pytest
from django.urls import reverse

from conftest import logged_in, staff_user_of
from customers.tests.factories import CustomerFactory
from subscriptions.tests.factories import SuppressionFactory

pytestmark = pytest.mark.django_db


def test_the_customer_page_says_whether_we_may_send_and_why_not(organisation):
    customer = CustomerFactory(organisation=organisation, email="ada@example.com", phone=None)
    SuppressionFactory(organisation=organisation, email="ada@example.com", reason="HardBounced")
    client = logged_in(staff_user_of(organisation, "customers"))
    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    section = next(
        s for s in page.context["consent_summary"] if s["title"] == "May we send marketing now?"
    )
    states = {entry["row"].item: entry["row"].state for entry in section["rows"]}
    assert states == {
        "Email": "no: SUPPRESSED (HardBounced)",
        "SMS": "no: NO_ADDRESS (The customer has no phone number.)",
    }
    # The answer comes first, the states that make it up below.
    assert page.context["consent_summary"][0] is section
    assert "May we send marketing now?" in page.content.decode()


def test_a_customer_with_nothing_against_them_may_be_sent_email(organisation):
    customer = CustomerFactory(organisation=organisation, email="grace@example.com")
    client = logged_in(staff_user_of(organisation, "customers"))
    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    rows = [
        entry["row"]
        for section in page.context["consent_summary"]
        if section["title"] == "May we send marketing now?"
        for entry in section["rows"]
    ]
    assert rows[0].item == "Email" and rows[0].state == "allowed" and not rows[0].blocks
