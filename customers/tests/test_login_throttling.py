"""Failed logins are throttled before any password hashing; malformed credentials are a 401."""

import base64

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import basic_auth_header
from customers import throttling
from customers.services import api_token_issue
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# The middle of a minute, so a test never straddles two windows.
NOW = 1_800_000_030.0


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch):
    monkeypatch.setattr(throttling, "_now", lambda: NOW)


@pytest.fixture
def url(organisation):
    return reverse("service-customer", args=[CustomerFactory(organisation=organisation).uuid])


@pytest.fixture
def hashes(monkeypatch):
    """Counts password hashes computed (the conftest's MD5 hasher stands in for the slow one)."""
    calls = []
    encode = MD5PasswordHasher.encode

    def counting(self, password, salt):
        calls.append(password)
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting)
    return calls


def basic(username, password, address="203.0.113.7"):
    return APIClient(HTTP_AUTHORIZATION=basic_auth_header(username, password), REMOTE_ADDR=address)


def test_a_user_name_past_ten_failures_a_minute_is_429_without_hashing(rw_user, url, hashes):
    client = basic(rw_user.username, "wrong")
    assert [client.get(url).status_code for _ in range(10)] == [401] * 10
    hashed = len(hashes)
    response = client.get(url)
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert response.json()["code"] == "RATE_LIMITED"
    assert len(hashes) == hashed  # no hash for the throttled attempt
    # The right password too: the pair is throttled until the window passes.
    assert basic(rw_user.username, "correct-horse-battery").get(url).status_code == 429


def test_the_throttle_ends_when_the_minute_is_over(rw_user, url, monkeypatch):
    client = basic(rw_user.username, "wrong")
    for _ in range(10):
        client.get(url)
    assert client.get(url).status_code == 429
    monkeypatch.setattr(throttling, "_now", lambda: NOW + 60)
    assert basic(rw_user.username, "correct-horse-battery").get(url).status_code == 200


def test_other_user_names_from_the_same_address_are_unaffected(rw_user, ro_user, url):
    for _ in range(11):
        basic(ro_user.username, "wrong").get(url)
    assert basic(ro_user.username, "wrong").get(url).status_code == 429
    assert basic(rw_user.username, "correct-horse-battery").get(url).status_code == 200


def test_the_same_user_name_from_another_address_is_unaffected(rw_user, url):
    for _ in range(11):
        basic(rw_user.username, "wrong").get(url)
    assert (
        basic(rw_user.username, "correct-horse-battery", "198.51.100.1").get(url).status_code == 200
    )


def test_an_address_trying_many_user_names_is_throttled(rw_user, url, settings, hashes):
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 20
    statuses = [basic(f"guess{n}", "wrong").get(url).status_code for n in range(20)]
    assert statuses == [401] * 20
    hashed = len(hashes)
    assert basic("guess-more", "wrong").get(url).status_code == 429
    assert basic(rw_user.username, "correct-horse-battery").get(url).status_code == 429
    assert len(hashes) == hashed


def test_bad_bearer_keys_are_throttled_per_address(rw_user, url, settings):
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 5
    _, key = api_token_issue(user=rw_user)
    for n in range(5):
        client = APIClient(HTTP_AUTHORIZATION=f"Bearer guess{n}", REMOTE_ADDR="203.0.113.7")
        assert client.get(url).status_code == 401
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR="203.0.113.7")
    assert client.get(url).status_code == 429
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR="198.51.100.1")
    assert client.get(url).status_code == 200


def test_the_429_speaks_the_dialect_of_the_route(rw_user, organisation):
    customer = CustomerFactory(organisation=organisation, correlation_id="member-1")
    client = basic(rw_user.username, "wrong")
    url = f"/client/users/{customer.correlation_id}/profile/marketing-subscription"
    body = {"email": {"preference": "OPT_IN"}}
    for _ in range(10):
        client.put(url, body, format="json")
    response = client.put(url, body, format="json")
    assert response.status_code == 429
    assert response.json()["statusCode"] == 429
    assert "Retry-After" in response


def test_limits_of_zero_turn_the_throttle_off(rw_user, url, settings):
    settings.LOGIN_FAILURE_LIMIT = 0
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 0
    client = basic(rw_user.username, "wrong")
    assert {client.get(url).status_code for _ in range(15)} == {401}


def test_a_successful_login_makes_one_cache_round_trip(rw_user, url, monkeypatch):
    from django.core.cache import cache

    client = basic(rw_user.username, "correct-horse-battery")
    assert client.get(url).status_code == 200  # remembers the credential
    calls = []
    for name in ("get", "get_many", "set", "add", "incr"):
        original = getattr(cache, name)
        monkeypatch.setattr(
            cache, name, lambda *a, _o=original, _n=name, **k: calls.append((_n, a)) or _o(*a, **k)
        )
    assert client.get(url).status_code == 200
    # get_many: the credential and both failure counters; the rest is the per-user rate limit.
    assert [name for name, _ in calls].count("get_many") == 1
    writes = [args for name, args in calls if name in ("incr", "add", "set")]
    assert not [args for args in writes if str(args[0]).startswith("login-failures")]


# Malformed credentials ---------------------------------------------------------------------------
def raw_basic(raw: bytes) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION="Basic " + base64.b64encode(raw).decode())


@pytest.mark.parametrize(
    "raw",
    [
        b"user\x00name:pw",
        b"user:pass\x00word",
        b"user\x1fname:pw",
        b"user\x7f:pw",
        b"user\xc2\x85:pw",  # NEL, a C1 control
        b"\xff\xfeuser:pw",  # not UTF-8
        b"no-colon",
    ],
    ids=["nul-user", "nul-password", "c0", "del", "c1", "not-utf8", "no-colon"],
)
def test_malformed_basic_credentials_are_401_without_a_query(url, raw, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = raw_basic(raw).get(url)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_basic_credentials_that_are_not_base64_are_401(url):
    client = APIClient(HTTP_AUTHORIZATION="Basic not*base64!")
    assert client.get(url).status_code == 401
