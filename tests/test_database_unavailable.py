"""While the database cannot be reached, every request answers 503 with Retry-After, in its
route's dialect (a small HTML page outside the APIs), and the service recovers by itself.

The outage itself, over a real server and a real connection, is tests/test_database_outage.py.
"""

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from rest_framework.test import APIClient

from conftest import logged_in, staff_user_of
from tests.hostile import assert_dialect_error, fingerprint

pytestmark = pytest.mark.django_db

# Valid for the routes below that read a body, so each gets as far as its first query.
BODY = '{"email": "new@example.com"}'
LOYALTY_BODY = '{"email": {"preference": "OPT_IN"}}'
CONNECT = "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection"


def database_down(error=None):
    """Every new query fails as it would with PostgreSQL stopped."""
    return mock.patch(CONNECT, side_effect=error or OperationalError("connection refused"))


def routes(world):
    customer, department = world["customer"], world["department"]
    return [
        ("GET", "/customers/ada@example.com", "customers"),
        ("POST", "/customers", "customers"),
        (
            "GET",
            f"/customers/customers/{customer.uuid}/marketing-preferences",
            "marketing-preferences",
        ),
        ("PUT", "/client/users/crm-1/profile/marketing-subscription", "loyalty", LOYALTY_BODY),
        ("GET", "/v2/preferences", "v2"),
        ("PUT", f"/v2/contacts/{customer.pk}/preferences", "v2"),
        (
            "GET",
            f"/communications/department/{department.uuid}/optoutstatus?communicationValue=a@b.c",
            "optout",
        ),
        ("GET", f"/consent/v1/customers/{customer.uuid}", "service"),
    ]


def assert_unavailable(response, dialect):
    assert_dialect_error(response, dialect, 503)
    assert response["Retry-After"] == "5"


@pytest.mark.parametrize("error", [OperationalError("refused"), InterfaceError("closed")])
def test_a_database_error_while_authenticating_is_the_dialects_503(rw_client, world, error):
    for method, path, dialect, *body in routes(world):
        with database_down(error):
            response = rw_client.generic(method, path, (body or [BODY])[0], "application/json")
        assert_unavailable(response, dialect)


def test_a_database_error_in_the_view_is_the_dialects_503(rw_user, world):
    client = APIClient()
    client.force_authenticate(rw_user)  # no query before the view's own
    for method, path, dialect, *body in routes(world):
        with database_down():
            response = client.generic(method, path, (body or [BODY])[0], "application/json")
        assert_unavailable(response, dialect)


def test_the_service_recovers_by_itself(rw_client, world):
    before = fingerprint()
    with database_down():
        response = rw_client.post("/customers", {"email": "new@example.com"}, format="json")
        assert response.status_code == 503
    assert fingerprint() == before
    response = rw_client.post("/customers", {"email": "new@example.com"}, format="json")
    assert response.status_code == 200


def test_the_retry_after_is_configurable(settings, rw_client, world):
    settings.DATABASE_UNAVAILABLE_RETRY_AFTER = 30
    with database_down():
        response = rw_client.get("/v2/preferences")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


def test_a_hosted_page_is_a_small_html_503(client):
    with mock.patch(
        "subscriptions.services.challenge_from_token", side_effect=OperationalError("refused")
    ):
        response = client.get("/pages/resubscribe/some-token")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert b"Temporarily unavailable" in response.content


def test_the_admin_is_a_small_html_503(organisation):
    client = logged_in(staff_user_of(organisation, "customers"))
    with database_down():
        response = client.get("/admin/customers/customer/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")


def test_a_database_error_in_middleware_is_the_routes_503():
    # Raised before any view runs: Django's handler500 answers, knowing the route.
    client = Client(raise_request_exception=False)
    with mock.patch(
        "django.contrib.sessions.middleware.SessionMiddleware.process_request",
        side_effect=OperationalError("refused"),
    ):
        api = client.get("/v2/preferences")
        page = client.get("/pages/resubscribe/some-token")
    assert_unavailable(api, "v2")
    assert page.status_code == 503
    assert page["Content-Type"].startswith("text/html")


def test_any_other_unhandled_error_under_an_api_is_its_dialects_json_500(rw_client, world):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=rw_client._credentials["HTTP_AUTHORIZATION"])
    with mock.patch("preferences.selectors.preference_tree", side_effect=RuntimeError("bug")):
        response = client.get("/v2/preferences")
    assert_dialect_error(response, "v2", 500)
