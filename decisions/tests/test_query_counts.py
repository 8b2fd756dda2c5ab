"""The number of SQL queries of a decision is fixed, whatever the number of recipients."""

import pytest

from customers.models import Customer
from optout.tests.factories import CommunicationStatusFactory, DepartmentFactory
from preferences.tests.factories import PreferenceFactory
from subscriptions.tests.factories import SuppressionFactory

URL = "/consent/v1/decisions"


def make_customers(organisation, count):
    Customer.objects.bulk_create(
        Customer(
            organisation=organisation,
            email=f"c{n}@example.com",
            email_key=f"c{n}@example.com",
            phone=f"+1415555{n:04d}",
        )
        for n in range(count)
    )
    return list(Customer.objects.for_organisation(organisation).order_by("id"))


def recipients_of(customers):
    """Every recipient form, in turn."""
    forms = [
        lambda c: {"email": c.email},
        lambda c: {"contactId": c.pk},
        lambda c: {"customerId": str(c.uuid)},
        lambda c: {"phone": c.phone},
    ]
    return [forms[n % len(forms)](c) for n, c in enumerate(customers)]


@pytest.mark.parametrize("count", [1, 100, 10_000], ids=["1", "100", "10000"])
def test_an_email_decision_takes_the_same_queries_for_any_number(
    rw_client, organisation, count, django_assert_num_queries
):
    customers = make_customers(organisation, count)
    preference = PreferenceFactory(organisation=organisation)
    SuppressionFactory(organisation=organisation, email=customers[0].email)
    CommunicationStatusFactory(
        department=DepartmentFactory(organisation=organisation),
        communication_value=customers[-1].email,
        ok_to_communicate=False,
    )
    rw_client.get(URL, {"channel": "email", "contactId": 1})  # signs in (cached afterwards)
    body = {
        "channel": "email",
        "preference": preference.pk,
        "programme": "LOYALTY",
        "recipients": recipients_of(customers),
    }
    # 1 the caller's membership and organisation, 2 the preference, 3 customers,
    # 4 suppressions, 5 opt-ins, 6 programme subscriptions, 7 opt-out statuses.
    with django_assert_num_queries(7):
        response = rw_client.post(URL, body, format="json")
    results = response.json()["results"]
    assert len(results) == count
    assert results[0]["reasons"][0] == {"code": "SUPPRESSED", "detail": "Unsubscribed"}
    assert results[-1]["reasons"][-1]["code"] == "OPTED_OUT"


@pytest.mark.parametrize("count", [1, 100, 10_000], ids=["1", "100", "10000"])
def test_an_sms_decision_in_a_department_takes_the_same_queries_for_any_number(
    rw_client, organisation, count, django_assert_num_queries
):
    customers = make_customers(organisation, count)
    department = DepartmentFactory(organisation=organisation)
    rw_client.get(URL, {"channel": "sms", "contactId": 1})
    body = {
        "channel": "sms",
        "department": str(department.uuid),
        "recipients": recipients_of(customers),
    }
    # 1 membership, 2 the department, 3 customers, 4 opt-out statuses.
    with django_assert_num_queries(4):
        response = rw_client.post(URL, body, format="json")
    assert all(result["allowed"] for result in response.json()["results"])


def test_phone_numbers_in_e164_form_stored_or_not_take_no_more_queries(
    rw_client, organisation, django_assert_num_queries
):
    customers = make_customers(organisation, 10)
    rw_client.get(URL, {"channel": "sms", "contactId": 1})
    # Stored, valid but stored by nobody, and E.164-looking text of a stored number's own form.
    recipients = [{"phone": customers[0].phone}, {"phone": "+14155550199"}]
    # 1 membership, 2 customers, 3 opt-out statuses.
    with django_assert_num_queries(3):
        response = rw_client.post(URL, {"channel": "sms", "recipients": recipients}, format="json")
    assert [r["allowed"] for r in response.json()["results"]] == [True, False]


def test_text_that_normalises_to_another_number_takes_one_query_more(
    rw_client, organisation, django_assert_num_queries
):
    customer = Customer.objects.create(organisation=organisation, phone="+447911123456")
    rw_client.get(URL, {"channel": "sms", "contactId": 1})
    # 1 membership, 2 customers, 3 customers with the number's E.164 form, 4 opt-out statuses.
    with django_assert_num_queries(4):
        response = rw_client.post(
            URL, {"channel": "sms", "recipients": [{"phone": "+4407911123456"}]}, format="json"
        )
    assert response.json()["results"][0]["customerId"] == str(customer.uuid)
