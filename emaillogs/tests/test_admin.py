"""Admin: the read-only email log list and the customer page's recent logs."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from conftest import logged_in, staff_user_of
from customers.tests.factories import CustomerFactory
from emaillogs.tests.factories import EmailLogFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(organisation):
    return logged_in(staff_user_of(organisation, "customers", "emaillogs"))


@pytest.fixture
def customer(organisation):
    return CustomerFactory(organisation=organisation, email="matt@example.com")


def changelist(client, **params):
    response = client.get(reverse("admin:emaillogs_emaillog_changelist"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_staff_see_only_their_organisations_logs(staff_client, customer, other_organisation):
    EmailLogFactory(customer=customer, public_id="log_mine")
    EmailLogFactory(customer=CustomerFactory(organisation=other_organisation), public_id="log_x")
    page = changelist(staff_client)
    assert "log_mine" in page
    assert "log_x" not in page


def test_the_list_filters_by_status(staff_client, customer):
    EmailLogFactory(customer=customer, public_id="log_open", status="opened")
    EmailLogFactory(customer=customer, public_id="log_bounce", status="bounced")
    page = changelist(staff_client, status="bounced")
    assert "log_bounce" in page
    assert "log_open" not in page


def test_the_list_filters_by_date(staff_client, customer):
    EmailLogFactory(
        customer=customer, public_id="log_2009", created=datetime(2009, 2, 13, tzinfo=UTC)
    )
    EmailLogFactory(
        customer=customer, public_id="log_2020", created=datetime(2020, 1, 1, tzinfo=UTC)
    )
    page = changelist(staff_client, created__year="2020")
    assert "log_2020" in page
    assert "log_2009" not in page


def test_the_list_searches_by_exact_address_and_email_name(staff_client, customer, organisation):
    EmailLogFactory(customer=customer, public_id="log_matt", email_name="Welcome")
    other = CustomerFactory(organisation=organisation, email="zoe@example.com")
    EmailLogFactory(customer=other, public_id="log_zoe", email_name="Order Confirmation")
    page = changelist(staff_client, q="MATT@example.com")
    assert "log_matt" in page
    assert "log_zoe" not in page
    page = changelist(staff_client, q="order conf")
    assert "log_zoe" in page
    assert "log_matt" not in page


def test_logs_are_read_only(staff_client, customer):
    log = EmailLogFactory(customer=customer)
    assert staff_client.get(reverse("admin:emaillogs_emaillog_add")).status_code == 403
    response = staff_client.post(
        reverse("admin:emaillogs_emaillog_change", args=[log.pk]), {"status": "x"}
    )
    assert response.status_code == 403
    log.refresh_from_db()
    assert log.status == "opened"


def test_the_customer_page_shows_the_newest_logs(staff_client, customer):
    for day in range(1, 26):
        EmailLogFactory(
            customer=customer,
            public_id=f"log_day{day:02d}",
            created=datetime(2020, 1, day, tzinfo=UTC),
        )
    page = staff_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    html = page.content.decode()
    assert "Recent email logs" in html
    assert "log_day25" in html
    assert "log_day06" in html
    assert "log_day05" not in html  # only the newest 20


def test_the_customer_page_still_saves_with_many_logs(staff_client, customer):
    for day in range(1, 26):
        EmailLogFactory(customer=customer, created=datetime(2020, 1, day, tzinfo=UTC))
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(locale="fr", data_fields="{}")
    for prefix in ("email_logs", "consent_events"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.locale == "fr"
