"""The preference centre, /pages/preferences/<token>, driven with Django's test client."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from customers import links
from customers.models import ConsentEvent
from customers.tests.factories import CustomerFactory
from preferences.tests.factories import CategoryFactory, PreferenceFactory, PreferenceOptInFactory
from subscriptions import services as subscription_services
from subscriptions.models import ChannelSubscription, ResubscribeChallenge, Suppression
from subscriptions.tests.factories import ChannelSubscriptionFactory, SuppressionFactory

from .conftest import events, page_path, snapshot

pytestmark = pytest.mark.django_db

HOSTED = "hosted_page"


def opt_in(customer, *preferences):
    for preference in preferences:
        PreferenceOptInFactory(customer=customer, preference=preference, opted_in=True)


def suppress(customer, reason):
    return SuppressionFactory(
        organisation=customer.organisation, email=customer.email_key, reason=reason
    )


def form(*topics, email=True, sms=False):
    data = {"topic": [str(topic.pk) for topic in topics]}
    if email:
        data["email"] = "on"
    if sms:
        data["sms"] = "on"
    return data


def test_it_shows_public_topics_grouped_by_category_checked_when_opted_in(
    client, customer, topics, centre_path
):
    opt_in(customer, topics.digest, topics.football)
    response = client.get(centre_path)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("<legend>Newsletters</legend>") < page.index("<legend>Offers</legend>")
    assert page.index("<legend>Offers</legend>") < page.index("<legend>Other topics</legend>")
    assert f'id="topic-{topics.digest.pk}" name="topic" value="{topics.digest.pk}" checked' in page
    assert f'id="topic-{topics.updates.pk}" name="topic" value="{topics.updates.pk}">' in page
    assert f'value="{topics.football.pk}" checked' in page
    assert f'<label for="topic-{topics.discounts.pk}">Discounts</label>' in page
    assert "Staff only" not in page
    assert 'id="email" name="email" value="on" checked' in page
    assert 'id="sms" name="sms" value="on" aria' in page  # no SMS subscription: off
    assert "Acme" in page  # the organisation's name


def test_get_changes_nothing(client, customer, topics, centre_path):
    before = snapshot()
    client.get(centre_path)
    assert snapshot() == before


def test_saving_applies_every_change_in_one_go_and_redirects_to_the_saved_state(
    client, customer, topics, centre_path
):
    opt_in(customer, topics.digest, topics.discounts)
    response = client.post(
        centre_path,
        form(topics.updates, topics.discounts, topics.football, email=False, sms=True),
        HTTP_USER_AGENT="Firefox/140",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 303
    assert response["Location"] == f"{centre_path}?saved=1"
    pk = customer.pk
    assert sorted(events()) == sorted(
        [
            (pk, "preference.opt_in", str(topics.digest.pk), True, False, HOSTED),
            (pk, "preference.opt_in", str(topics.updates.pk), False, True, HOSTED),
            (pk, "preference.opt_in", str(topics.football.pk), False, True, HOSTED),
            (pk, "email.suppression", "", None, "Unsubscribed", HOSTED),
            (pk, "channel.subscription", "sms:default", None, "OPT_IN", HOSTED),
        ]
    )
    assert set(ConsentEvent.objects.values_list("ip_address", "user_agent")) == {
        ("203.0.113.9", "Firefox/140")
    }
    page = client.get(response["Location"]).content.decode()
    assert "Your choices are saved." in page
    assert f'value="{topics.digest.pk}">' in page
    assert f'value="{topics.updates.pk}" checked' in page
    assert 'id="email" name="email" value="on" aria' in page
    assert 'id="sms" name="sms" value="on" checked' in page


def test_saving_the_unchanged_form_writes_nothing(client, customer, topics, centre_path):
    opt_in(customer, topics.digest)
    before = snapshot()
    client.post(centre_path, form(topics.digest))
    assert snapshot() == before


def test_topics_not_shown_are_never_changed(
    client, customer, topics, centre_path, other_organisation
):
    foreign = PreferenceFactory(organisation=other_organisation)
    before = snapshot()
    response = client.post(
        centre_path,
        {
            "topic": [str(topics.hidden.pk), str(foreign.pk), "x", "99999999999999999999"],
            "email": "on",
        },
    )
    assert response.status_code == 303
    assert snapshot() == before


def test_email_back_on_lifts_an_unsubscribe_at_once(client, customer, topics, centre_path):
    suppress(customer, Suppression.Reason.UNSUBSCRIBED)
    response = client.post(centre_path, form(email=True))
    assert response["Location"].endswith("?saved=1")
    assert not Suppression.objects.exists()
    assert events() == [(customer.pk, "email.suppression", "", "Unsubscribed", None, HOSTED)]
    assert mail.outbox == []


@pytest.mark.parametrize(
    "reason",
    [
        Suppression.Reason.HARD_BOUNCED,
        Suppression.Reason.ISP_COMPLAINED,
        Suppression.Reason.SUPPRESSED,
    ],
)
def test_email_back_on_after_a_bounce_or_complaint_sends_the_challenge_and_lifts_nothing(
    client, customer, topics, centre_path, reason, django_capture_on_commit_callbacks
):
    suppress(customer, reason)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(centre_path, form(email=True))
    assert response["Location"].endswith("?saved=confirm")
    assert Suppression.objects.get().reason == reason
    assert events() == []
    challenge = ResubscribeChallenge.objects.get()
    assert challenge.email == "ada@example.com"
    assert challenge.return_url.startswith("http://localhost:8000/pages/preferences/")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    page = client.get(response["Location"]).content.decode()
    assert "We have sent an email to Ada@Example.com" in page


def test_the_challenge_from_the_centre_resubscribes_once_confirmed(
    client, customer, topics, centre_path, django_capture_on_commit_callbacks
):
    suppress(customer, Suppression.Reason.HARD_BOUNCED)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(centre_path, form(email=True))
    confirm = re.search(r"http://localhost:8000(/pages/resubscribe/\S+)", mail.outbox[0].body)
    # As a browser does it: the form's CSRF token, and Origin: null (the page is no-referrer).
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(confirm.group(1)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(confirm.group(1), {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="null")
    assert response.status_code == 303
    assert response["Location"].startswith("http://localhost:8000/pages/preferences/")
    assert not Suppression.objects.exists()
    assert events() == [(customer.pk, "email.suppression", "", "HardBounced", None, HOSTED)]


def test_email_off_keeps_a_stronger_reason_and_writes_nothing(
    client, customer, topics, centre_path
):
    suppress(customer, Suppression.Reason.HARD_BOUNCED)
    before = snapshot()
    client.post(centre_path, form(email=False))
    assert snapshot() == before


def test_sms_off_opts_the_sms_programme_out(client, customer, topics, centre_path):
    ChannelSubscriptionFactory(
        customer=customer,
        channel=ChannelSubscription.Channel.SMS,
        programme=ChannelSubscription.SMS_PROGRAMME,
    )
    client.post(centre_path, form(sms=False))
    assert events() == [
        (customer.pk, "channel.subscription", "sms:default", "OPT_IN", "OPT_OUT", HOSTED)
    ]


def test_a_customer_without_email_or_phone_sees_only_topics(client, organisation, topics):

    customer = CustomerFactory(organisation=organisation, email=None, correlation_id="crm-1")
    path = page_path(links.PREFERENCE_CENTRE, customer)
    page = client.get(path).content.decode()
    assert 'name="email"' not in page and 'name="sms"' not in page
    assert client.post(path, {"email": "on", "sms": "on"}).status_code == 303
    assert events() == []


def test_the_post_needs_the_csrf_token(customer, topics, centre_path):
    client = Client(enforce_csrf_checks=True)
    before = snapshot()
    response = client.post(centre_path, form(topics.digest, email=False))
    assert response.status_code == 403
    assert snapshot() == before


def test_the_post_with_the_forms_csrf_token_is_accepted(customer, topics, centre_path):
    client = Client(enforce_csrf_checks=True)
    page = client.get(centre_path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(centre_path, {**form(topics.digest), "csrfmiddlewaretoken": token})
    assert response.status_code == 303
    assert events() == [
        (customer.pk, "preference.opt_in", str(topics.digest.pk), False, True, HOSTED)
    ]


def test_a_failing_service_changes_nothing(client, customer, topics, centre_path, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(subscription_services, "channel_subscriptions_set", fail)
    before = snapshot()
    client.raise_request_exception = False
    response = client.post(centre_path, form(topics.digest, email=False, sms=True))
    assert response.status_code == 500
    assert snapshot() == before  # the opt-in and the unsubscribe were rolled back with it


@pytest.mark.parametrize("count", [1, 6])
def test_get_takes_a_constant_number_of_queries(
    client, customer, organisation, count, django_assert_num_queries
):
    category = CategoryFactory(organisation=organisation)
    opt_in(customer, *[PreferenceFactory(category=category) for _ in range(count)])
    path = page_path(links.PREFERENCE_CENTRE, customer)
    # customer with organisation, preference tree with the customer's states, suppression, SMS
    # subscription
    with django_assert_num_queries(4):
        assert client.get(path).status_code == 200


def test_post_takes_the_same_number_of_queries_for_one_topic_or_many(client, organisation):

    category = CategoryFactory(organisation=organisation)
    counts = []
    for count in (1, 8):
        customer = CustomerFactory(organisation=organisation, phone="+442071838750")
        wanted = [PreferenceFactory(category=category) for _ in range(count)]
        path = page_path(links.PREFERENCE_CENTRE, customer)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(path, form(*wanted, email=False, sms=True))
        assert response.status_code == 303
        counts.append(len(queries))
    # 5 reads of the shown state; opt-ins: lock, states, upsert, ledger; unsubscribe: customer,
    # [advisory lock], existing, insert, ledger; SMS: lock, current, upsert, ledger; savepoints.
    assert counts[0] == counts[1] <= 30, counts


def test_a_flood_of_fields_is_a_400_and_changes_nothing(client, customer, topics, centre_path):
    before = snapshot()
    response = client.post(centre_path, {"topic": [str(n) for n in range(5000)]})
    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("value", ["\x00", "1\x00", "-1", "1e3", " 1", "%ED%A0%80", "%FF"])
def test_odd_topic_values_are_ignored(client, customer, topics, centre_path, value):
    before = snapshot()
    body = f"topic={value}&email=on".encode()  # percent-escapes as sent, bad UTF-8 included
    response = client.post(centre_path, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 303
    assert snapshot() == before
