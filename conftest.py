"""Project-wide fixtures: the three personas every API test speaks as.

- `rw_client`: a read-write API user of `organisation`
- `ro_client`: a read-only API user of `organisation`
- `other_client`: a read-write API user of `other_organisation`
- `anon_client`: no credentials
"""

import base64
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from customers.tests.factories import API_PASSWORD, ApiUserFactory, OrganisationFactory


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgres_only` tests skip, saying why, when the suite runs on SQLite."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://…)")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters and remembered Basic credentials must not leak between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def basic_auth_header(username: str, password: str = API_PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth_header(user.username))
    return client


def staff_user_of(organisation, *app_labels):
    """A staff user of `organisation` allowed everything in these apps' admin screens."""
    user = ApiUserFactory(membership__organisation=organisation, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=app_labels))
    return user


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def organisation(db):
    return OrganisationFactory(slug="acme")


@pytest.fixture
def other_organisation(db):
    return OrganisationFactory(slug="globex")


@pytest.fixture
def rw_user(organisation):
    return ApiUserFactory(membership__organisation=organisation)


@pytest.fixture
def ro_user(organisation):
    return ApiUserFactory(membership__organisation=organisation, membership__role="read_only")


@pytest.fixture
def other_user(other_organisation):
    return ApiUserFactory(membership__organisation=other_organisation)


@pytest.fixture
def rw_client(rw_user):
    return client_for(rw_user)


@pytest.fixture
def ro_client(ro_user):
    return client_for(ro_user)


@pytest.fixture
def other_client(other_user):
    return client_for(other_user)


@pytest.fixture
def anon_client():
    return APIClient()


def consent_snapshot() -> dict:
    """Every row of the consent tables and the ledger, as plain values (tests' databases are
    small): comparing two snapshots proves that a request or command changed nothing."""
    from django.apps import apps

    models = [
        apps.get_model(label)
        for label in (
            "customers.Customer",
            "customers.ConsentEvent",
            "preferences.Preference",
            "preferences.PreferenceOptIn",
            "subscriptions.Suppression",
            "subscriptions.ChannelSubscription",
            "subscriptions.ResubscribeChallenge",
            "optout.Department",
            "optout.CommunicationStatus",
            "optout.ProcessedMessage",
            "emaillogs.EmailLog",
        )
    ]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


@contextmanager
def assert_nothing_changed():
    """`with assert_nothing_changed(): <a rejected request>`: no consent row or ledger event was
    added, changed or removed."""
    before = consent_snapshot()
    yield
    after = consent_snapshot()
    for label, rows in before.items():
        assert after[label] == rows, f"{label} changed"


@pytest.fixture
def nothing_changed(db):
    """The assert_nothing_changed context manager, for tests that take fixtures only."""
    return assert_nothing_changed
