"""Project-wide fixtures: the three personas every API test speaks as.

- `rw_client`: a read-write API user of `organisation`
- `ro_client`: a read-only API user of `organisation`
- `other_client`: a read-write API user of `other_organisation`
- `anon_client`: no credentials
"""

import base64

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
