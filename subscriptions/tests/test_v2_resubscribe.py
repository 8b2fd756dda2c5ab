"""POST /v2/contacts/resubscribe (challenge, hosted page) and resubscribe-with-no-challenge."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from conftest import assert_nothing_changed
from customers.models import ConsentEvent
from subscriptions.models import ResubscribeChallenge, Suppression
from subscriptions.tests.factories import SuppressionFactory, email_status

pytestmark = pytest.mark.django_db

URL = "/v2/contacts/resubscribe"
NO_CHALLENGE_URL = "/v2/contacts/resubscribe-with-no-challenge"
SEED_BODY = {
    "unsubscribedContact": {
        "email": "john.smith@emailsim.io",
        "dataFields": [
            {"key": "FIRSTNAME", "value": "Nelson"},
            {"key": "LASTNAME", "value": "Redeker"},
        ],
    },
    "preferredLocale": "de-DE",
    "returnUrlToUseIfChallenged": "https://www.mywebsite.com/news",
}


@pytest.fixture
def unsubscribed(customer):
    SuppressionFactory(organisation=customer.organisation, email=customer.email)
    return customer


def status_of(customer):
    return email_status(customer)


def request_challenge(client, body, capture):
    with capture(execute=True):
        response = client.post(URL, body, format="json")
    return response


def link_in(message) -> str:
    return re.search(r"http://testserver(/pages/resubscribe/\S+)", message.body).group(1)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_the_seed_example_challenges_a_suppressed_contact(
    rw_client, unsubscribed, django_capture_on_commit_callbacks
):
    response = request_challenge(rw_client, SEED_BODY, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert response.json() == {
        "contact": {
            "id": unsubscribed.pk,
            "email": "john.smith@emailsim.io",
            "optInType": "Unknown",
            "emailType": "PlainText",
            "dataFields": None,
            "status": "Unsubscribed",
        },
        "status": "ContactChallenged",
    }
    # Suppressed until confirmed.
    assert status_of(unsubscribed) == "Unsubscribed"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["john.smith@emailsim.io"]


def test_the_challenge_round_trip_resubscribes_and_redirects(
    rw_client, client, unsubscribed, django_capture_on_commit_callbacks
):
    request_challenge(rw_client, SEED_BODY, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    page = client.get(link)
    assert page.status_code == 200
    assert '<form method="post">' in page.content.decode()
    assert "<script" not in page.content.decode()
    response = client.post(link)
    assert response.status_code == 303
    assert response["Location"] == "https://www.mywebsite.com/news"
    assert status_of(unsubscribed) == "Subscribed"
    unsubscribed.refresh_from_db()
    assert unsubscribed.data_fields == {"FIRSTNAME": "Nelson", "LASTNAME": "Redeker"}
    event = ConsentEvent.objects.get(kind="email.suppression")
    assert (event.old_value, event.new_value, event.source) == ("Unsubscribed", None, "hosted_page")


def test_the_email_is_german_for_de_and_english_otherwise(
    rw_client, unsubscribed, django_capture_on_commit_callbacks
):
    request_challenge(rw_client, SEED_BODY, django_capture_on_commit_callbacks)
    request_challenge(
        rw_client, {**SEED_BODY, "preferredLocale": "fr-FR"}, django_capture_on_commit_callbacks
    )
    german, english = mail.outbox
    assert "Bitte bestätigen" in german.subject
    assert "Please confirm" in english.subject
    assert german.alternatives[0][1] == "text/html"


def test_the_page_is_in_the_challenges_language(
    rw_client, client, unsubscribed, django_capture_on_commit_callbacks
):
    request_challenge(rw_client, SEED_BODY, django_capture_on_commit_callbacks)
    page = client.get(link_in(mail.outbox[0])).content.decode()
    assert 'lang="de"' in page
    assert "Ja, wieder anmelden" in page


def test_a_used_link_is_410_and_changes_nothing(
    rw_client, client, unsubscribed, django_capture_on_commit_callbacks
):
    request_challenge(rw_client, SEED_BODY, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    client.post(link)
    rw_client.post("/v2/contacts/unsubscribe", {"email": unsubscribed.email}, format="json")
    again = client.post(link)
    assert again.status_code == 410
    assert "bereits verwendet" in again.content.decode()
    assert client.get(link).status_code == 410
    assert status_of(unsubscribed) == "Unsubscribed"


def test_an_expired_link_is_410_and_changes_nothing(
    rw_client, client, unsubscribed, django_capture_on_commit_callbacks
):
    request_challenge(
        rw_client, {**SEED_BODY, "preferredLocale": "en-EN"}, django_capture_on_commit_callbacks
    )
    ResubscribeChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    link = link_in(mail.outbox[0])
    assert client.get(link).status_code == 410
    response = client.post(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert status_of(unsubscribed) == "Unsubscribed"
    assert not ConsentEvent.objects.filter(kind="email.suppression").exists()


def test_a_forged_link_is_404(client, unsubscribed):
    assert client.get("/pages/resubscribe/forged:token").status_code == 404
    assert client.post("/pages/resubscribe/forged:token").status_code == 404


def test_without_a_return_url_the_page_says_it_is_done(
    rw_client, client, unsubscribed, django_capture_on_commit_callbacks
):
    body = {"unsubscribedContact": {"email": unsubscribed.email}}
    request_challenge(rw_client, body, django_capture_on_commit_callbacks)
    response = client.post(link_in(mail.outbox[0]))
    assert response.status_code == 200
    assert "subscribed again" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "//evil.example", "ftp://x.example/"]
)
def test_a_return_url_that_is_not_http_is_400_up_front(rw_client, unsubscribed, url):
    with assert_nothing_changed():
        response = rw_client.post(
            URL, {**SEED_BODY, "returnUrlToUseIfChallenged": url}, format="json"
        )
    assert response.status_code == 400
    assert "returnUrlToUseIfChallenged" in response.json()["message"]
    assert not ResubscribeChallenge.objects.exists()
    assert mail.outbox == []


def test_a_contact_that_is_not_suppressed_is_added_without_email(
    rw_client, customer, django_capture_on_commit_callbacks
):
    response = request_challenge(rw_client, SEED_BODY, django_capture_on_commit_callbacks)
    assert response.json()["status"] == "ContactAdded"
    assert response.json()["contact"]["status"] == "Subscribed"
    assert mail.outbox == []


def test_an_unknown_address_is_404(rw_client, organisation):
    response = rw_client.post(URL, SEED_BODY, format="json")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "errorCode"}


@pytest.mark.parametrize(
    "change",
    [
        {"preferredLocale": "xx-XX"},
        {"unsubscribedContact": {"email": "nope"}},
        {"unsubscribedContact": {"email": "a@b.co", "dataFields": [{"key": "K"}]}},
        {"unsubscribedContact": None},
    ],
)
def test_invalid_input_is_400(rw_client, unsubscribed, change):
    with assert_nothing_changed():
        assert rw_client.post(URL, {**SEED_BODY, **change}, format="json").status_code == 400


def test_no_challenge_resubscribes_at_once_and_applies_data_fields(rw_client, unsubscribed):
    body = {"unsubscribedContact": SEED_BODY["unsubscribedContact"]}
    response = rw_client.post(NO_CHALLENGE_URL, body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "ContactAdded"
    assert response.json()["contact"]["status"] == "Subscribed"
    assert response.json()["contact"]["dataFields"] == [
        {"key": "FIRSTNAME", "value": "Nelson"},
        {"key": "LASTNAME", "value": "Redeker"},
    ]
    assert not Suppression.objects.exists()
    assert (
        ConsentEvent.objects.filter(kind="email.suppression", old_value="Unsubscribed").count() == 1
    )


@pytest.mark.parametrize("reason", ["HardBounced", "IspComplained"])
def test_a_bounced_or_complained_address_is_never_resubscribed_without_challenge(
    rw_client, customer, reason
):
    SuppressionFactory(organisation=customer.organisation, email=customer.email, reason=reason)
    body = {"unsubscribedContact": SEED_BODY["unsubscribedContact"]}
    with assert_nothing_changed():
        response = rw_client.post(NO_CHALLENGE_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "ERROR_CHALLENGE_REQUIRED"
    assert response.json()["message"].endswith(" ERROR_CHALLENGE_REQUIRED")
    assert status_of(customer) == reason
    customer.refresh_from_db()
    assert customer.data_fields == {}


def test_a_bounced_address_can_come_back_through_a_confirmed_challenge(
    rw_client, client, customer, django_capture_on_commit_callbacks
):
    SuppressionFactory(
        organisation=customer.organisation, email=customer.email, reason="HardBounced"
    )
    response = request_challenge(rw_client, SEED_BODY, django_capture_on_commit_callbacks)
    assert response.json()["status"] == "ContactChallenged"
    client.post(link_in(mail.outbox[0]))
    assert status_of(customer) == "Subscribed"


def test_erasing_the_customer_voids_the_pending_challenge(
    rw_client, client, unsubscribed, django_capture_on_commit_callbacks
):
    from customers.ledger import Provenance
    from customers.services import customer_erase

    request_challenge(rw_client, SEED_BODY, django_capture_on_commit_callbacks)
    customer_erase(customer=unsubscribed, provenance=Provenance(source="system"))
    assert client.get(link_in(mail.outbox[0])).status_code == 404
