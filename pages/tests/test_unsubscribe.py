"""The unsubscribe page and RFC 8058 one-click unsubscribe, /pages/unsubscribe/<token>."""

import re

import pytest
from django.test import Client

from customers import links
from customers.models import ConsentEvent
from customers.tests.factories import CustomerFactory
from subscriptions.models import Suppression
from subscriptions.tests.factories import SuppressionFactory

from .conftest import events, page_path, snapshot

pytestmark = pytest.mark.django_db

UNSUBSCRIBED = [(None, "email.suppression", "", None, "Unsubscribed", "hosted_page")]
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def unsubscribed(customer):
    return [(customer.pk, *event[1:]) for event in UNSUBSCRIBED]


def test_get_shows_one_button_and_changes_nothing(client, customer, unsubscribe_path):
    response = client.get(unsubscribe_path)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<button") == 1
    assert "Stop marketing email from Acme to Ada@Example.com?" in page
    assert events() == [] and not Suppression.objects.exists()


def test_head_changes_nothing(client, customer, unsubscribe_path):
    client.head(unsubscribe_path)
    assert events() == []


def test_the_form_post_unsubscribes_and_links_the_preference_centre(customer, unsubscribe_path):
    client = Client(enforce_csrf_checks=True)
    page = client.get(unsubscribe_path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        unsubscribe_path,
        {"csrfmiddlewaretoken": token},
        HTTP_USER_AGENT="Mozilla/5.0",
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert events() == unsubscribed(customer)
    event = ConsentEvent.objects.get()
    assert (event.ip_address, event.user_agent) == ("198.51.100.7", "Mozilla/5.0")
    assert event.source_detail == "POST /pages/unsubscribe/<str:token>"
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.reason) == ("ada@example.com", "Unsubscribed")
    link = re.search(r'href="(/pages/preferences/[^"]+)"', response.content.decode()).group(1)
    assert client.get(link).status_code == 200


def test_the_form_post_needs_the_csrf_token(customer, unsubscribe_path):
    client = Client(enforce_csrf_checks=True)
    client.get(unsubscribe_path)  # has the cookie, but posts no token
    response = client.post(unsubscribe_path, {})
    assert response.status_code == 403
    assert snapshot() == ([], [], [], [])


def test_one_click_unsubscribes_without_cookie_or_csrf_token(customer, unsubscribe_path):
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_path, ONE_CLICK, HTTP_USER_AGENT="GoogleOneClick")
    assert response.status_code == 200  # never a redirect
    assert not response.cookies
    assert events() == unsubscribed(customer)
    event = ConsentEvent.objects.get()
    assert event.source_detail == "POST /pages/unsubscribe/<str:token> (RFC 8058 one-click)"
    assert event.user_agent == "GoogleOneClick"


def test_one_click_as_multipart_works_too(customer, unsubscribe_path):
    response = Client(enforce_csrf_checks=True).post(unsubscribe_path, ONE_CLICK)  # multipart
    assert response.status_code == 200
    urlencoded = Client(enforce_csrf_checks=True).post(
        unsubscribe_path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert urlencoded.status_code == 200
    assert events() == unsubscribed(customer)


def test_a_one_click_replay_answers_200_and_writes_nothing(customer, unsubscribe_path):
    client = Client(enforce_csrf_checks=True)
    client.post(unsubscribe_path, ONE_CLICK)
    before = snapshot()
    response = client.post(unsubscribe_path, ONE_CLICK)
    assert response.status_code == 200
    assert snapshot() == before


@pytest.mark.parametrize("reason", ["HardBounced", "IspComplained", "Suppressed"])
def test_one_click_keeps_a_stronger_reason(customer, unsubscribe_path, reason):
    SuppressionFactory(organisation=customer.organisation, email="ada@example.com", reason=reason)
    before = snapshot()
    response = Client(enforce_csrf_checks=True).post(unsubscribe_path, ONE_CLICK)
    assert response.status_code == 200
    assert snapshot() == before


@pytest.mark.parametrize("body", [{"List-Unsubscribe": "one-click"}, {"List-Unsubscribe": ""}, {}])
def test_anything_but_the_one_click_body_needs_the_csrf_token(customer, unsubscribe_path, body):
    response = Client(enforce_csrf_checks=True).post(unsubscribe_path, body)
    assert response.status_code == 403
    assert events() == []


def test_a_customer_without_email_gets_a_page_that_says_so(client, organisation):
    customer = CustomerFactory(organisation=organisation, email=None, phone="+442071838750")
    path = page_path(links.UNSUBSCRIBE, customer)
    page = client.get(path).content.decode()
    assert "Acme has no email address for you" in page and "<button" not in page
    response = Client(enforce_csrf_checks=True).post(path, ONE_CLICK)
    assert response.status_code == 200
    assert "Nothing to unsubscribe" in response.content.decode()
    assert events() == []


def test_put_is_405_and_changes_nothing(client, customer, unsubscribe_path):
    assert client.put(unsubscribe_path).status_code == 405
    assert events() == []


def test_one_click_takes_a_constant_number_of_queries(
    customer, unsubscribe_path, django_assert_max_num_queries
):
    # customer; 2 savepoints; customer by address; [PostgreSQL: advisory lock]; existing entry;
    # insert; ledger; 2 releases
    with django_assert_max_num_queries(10):
        Client().post(unsubscribe_path, ONE_CLICK)


def test_get_takes_one_query(client, customer, unsubscribe_path, django_assert_num_queries):
    with django_assert_num_queries(1):  # the customer with their organisation
        client.get(unsubscribe_path)


def form_token(client, path):
    page = client.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_a_browser_posting_with_origin_null_passes_the_csrf_check(customer, unsubscribe_path):
    # Under Referrer-Policy: no-referrer, browsers post the page's own form with Origin: null.
    client = Client(enforce_csrf_checks=True)
    token = form_token(client, unsubscribe_path)
    response = client.post(unsubscribe_path, {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="null")
    assert response.status_code == 200
    assert events() == unsubscribed(customer)


def test_origin_null_without_the_token_is_still_refused(customer, unsubscribe_path):
    client = Client(enforce_csrf_checks=True)
    client.get(unsubscribe_path)
    assert client.post(unsubscribe_path, {}, HTTP_ORIGIN="null").status_code == 403
    assert events() == []


def test_a_foreign_origin_is_refused_even_with_the_token(customer, unsubscribe_path):
    client = Client(enforce_csrf_checks=True)
    token = form_token(client, unsubscribe_path)
    response = client.post(
        unsubscribe_path, {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert events() == []
