"""The one link signer: tokens per page, forged versus expired, and the mail headers."""

import pytest
from django.core import signing

from customers import links
from customers.tests.factories import CustomerFactory


def test_a_token_names_the_organisation_and_the_customer():
    token = links.sign_link_token(links.UNSUBSCRIBE, organisation_id=7, customer_uuid="abc")
    subject = links.read_link_token(links.UNSUBSCRIBE, token)
    assert subject == links.LinkSubject(organisation_id=7, customer_uuid="abc")


def test_a_token_for_one_page_is_forged_on_another():
    token = links.sign_link_token(links.UNSUBSCRIBE, organisation_id=7, customer_uuid="abc")
    with pytest.raises(links.LinkForged):
        links.read_link_token(links.PREFERENCE_CENTRE, token)


@pytest.mark.parametrize("token", ["", "garbage", "a:b:c", "é" * 10])
def test_garbage_is_forged(token):
    with pytest.raises(links.LinkForged):
        links.read_link_token(links.UNSUBSCRIBE, token)


def test_a_token_past_its_page_lifetime_is_expired(monkeypatch):
    token = links.sign_link_token(links.PREFERENCE_CENTRE, organisation_id=7, customer_uuid="a")
    lifetime = links.LINK_LIFETIMES[links.PREFERENCE_CENTRE]
    real_loads = signing.loads
    monkeypatch.setattr(
        signing,
        "loads",
        lambda value, **kwargs: real_loads(value, **{**kwargs, "max_age": -1}),
    )
    assert lifetime.days >= 30
    with pytest.raises(links.LinkExpired):
        links.read_link_token(links.PREFERENCE_CENTRE, token)


def test_lifetimes_meet_the_promise():
    assert links.LINK_LIFETIMES[links.UNSUBSCRIBE].days >= 365
    assert links.LINK_LIFETIMES[links.PREFERENCE_CENTRE].days >= 30


@pytest.mark.django_db
def test_customer_links_are_on_site_url_with_one_click_headers(settings):
    settings.SITE_URL = "https://consent.example.com"
    customer = CustomerFactory()
    result = links.customer_links(customer)
    assert result["unsubscribeUrl"].startswith("https://consent.example.com/pages/unsubscribe/")
    assert result["preferenceCentreUrl"].startswith(
        "https://consent.example.com/pages/preferences/"
    )
    assert result["headers"] == {
        "List-Unsubscribe": f"<{result['unsubscribeUrl']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    token = result["unsubscribeUrl"].rsplit("/", 1)[1]
    subject = links.read_link_token(links.UNSUBSCRIBE, token)
    assert subject.organisation_id == customer.organisation_id
    assert subject.customer_uuid == str(customer.uuid)
