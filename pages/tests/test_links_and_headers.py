"""Every hosted page: forged, cross-page, expired and erased links, headers, language."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client

from customers import links, services
from customers.ledger import Provenance, Source
from customers.tests.factories import CustomerFactory

from .conftest import page_path, snapshot

pytestmark = pytest.mark.django_db

PAGES = [links.PREFERENCE_CENTRE, links.UNSUBSCRIBE]
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def expire_every_link(monkeypatch):
    real_loads = signing.loads
    monkeypatch.setattr(
        signing, "loads", lambda value, **kwargs: real_loads(value, **{**kwargs, "max_age": -1})
    )


def assert_hosted_headers(response):
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("token", ["forged", "eyJvIjoxfQ:1xY9LN:bad", "a" * 500, "%00"])
def test_a_forged_link_is_a_404_page_and_changes_nothing(client, customer, page, token):
    for method in (client.get, client.post):
        response = method(f"/pages/{page}/{token}", ONE_CLICK)
        assert response.status_code == 404
        assert "Link not found" in response.content.decode()
        assert_hosted_headers(response)
    assert snapshot() == ([], [], [], [])


def test_a_token_for_another_page_is_a_404(client, customer):
    unsubscribe_token = page_path(links.UNSUBSCRIBE, customer).rsplit("/", 1)[1]
    assert client.get(f"/pages/preferences/{unsubscribe_token}").status_code == 404
    centre_token = page_path(links.PREFERENCE_CENTRE, customer).rsplit("/", 1)[1]
    response = Client().post(f"/pages/unsubscribe/{centre_token}", ONE_CLICK)
    assert response.status_code == 404
    assert snapshot() == ([], [], [], [])


@pytest.mark.parametrize("page", PAGES)
def test_an_expired_link_is_a_410_page_and_changes_nothing(client, customer, page, monkeypatch):
    path = page_path(page, customer)
    expire_every_link(monkeypatch)
    for body in (ONE_CLICK, {"email": "off"}):
        response = client.post(path, body)
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
        assert_hosted_headers(response)
    assert client.get(path).status_code == 410
    assert snapshot() == ([], [], [], [])


@pytest.mark.parametrize("page", PAGES)
def test_an_erased_customers_link_is_a_404(client, customer, page):
    path = page_path(page, customer)
    services.customer_erase(customer=customer, provenance=Provenance(source=Source.SYSTEM))
    before = snapshot()
    assert client.get(path).status_code == 404
    assert Client().post(path, ONE_CLICK).status_code == 404
    assert snapshot() == before


def test_a_link_naming_another_organisation_finds_nobody(client, customer, other_organisation):
    token = links.sign_link_token(
        links.UNSUBSCRIBE, organisation_id=other_organisation.pk, customer_uuid=customer.uuid
    )
    assert Client().post(f"/pages/unsubscribe/{token}", ONE_CLICK).status_code == 404
    assert snapshot() == ([], [], [], [])


@pytest.mark.parametrize("page", PAGES)
def test_every_answer_carries_the_hosted_page_headers(client, customer, page):
    path = page_path(page, customer)
    for response in (client.get(path), client.post(path, {"email": "on"})):
        assert_hosted_headers(response)
        assert "form-action 'self'" in response["Content-Security-Policy"]


def test_the_resubscribe_page_still_answers(client):
    response = client.get("/pages/resubscribe/forged:token")
    assert response.status_code == 404
    assert_hosted_headers(response)


@pytest.mark.parametrize("locale", ["de", "de-DE", "de_AT", "DE-ch"])
@pytest.mark.parametrize("page", PAGES)
def test_a_german_customer_gets_german_pages(client, organisation, page, locale):
    customer = CustomerFactory(organisation=organisation, locale=locale, phone="+493012345678")
    response = client.get(page_path(page, customer))
    text = response.content.decode()
    assert '<html lang="de">' in text
    assert response["Content-Language"] == "de"
    assert {"preferences": "Ihre Einstellungen", "unsubscribe": "Abmelden"}[page] in text


@pytest.mark.parametrize("locale", ["", "en-GB", "fr-FR", "xx", "zz-ZZ-private"])
def test_other_locales_get_english(client, organisation, locale):
    customer = CustomerFactory(organisation=organisation, locale=locale)
    response = client.get(page_path(links.PREFERENCE_CENTRE, customer))
    assert '<html lang="en">' in response.content.decode()
    assert "Your preferences" in response.content.decode()


def test_the_german_unsubscribed_page(organisation):
    customer = CustomerFactory(organisation=organisation, locale="de-DE")
    response = Client().post(page_path(links.UNSUBSCRIBE, customer), ONE_CLICK)
    assert "Sie sind abgemeldet" in response.content.decode()


def test_link_errors_speak_the_browsers_language(client):
    response = client.get("/pages/unsubscribe/forged", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert "Link nicht gefunden" in response.content.decode()


def test_the_compiled_german_catalogue_matches_its_source():
    """locale/de/LC_MESSAGES/django.mo is committed: it must say what django.po says."""
    directory = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES"
    source = (directory / "django.po").read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', source, flags=re.MULTILINE)
    assert len(pairs) >= 20 and "#, fuzzy" not in source
    with open(directory / "django.mo", "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    for msgid, msgstr in pairs:
        unescape = lambda text: text.replace('\\"', '"').replace("\\\\", "\\")  # noqa: E731
        assert msgstr, f"untranslated: {msgid}"
        assert catalogue.gettext(unescape(msgid)) == unescape(msgstr), msgid
