from unittest import mock

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_credentials(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_200_when_the_database_is_up(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "up"


def test_readyz_answers_503_when_the_database_is_down(client):
    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        side_effect=OperationalError("connection refused"),
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
    # …and recovers without a restart.
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_head_answers_like_get_without_a_body(client, path):
    response = client.head(path)
    assert response.status_code == 200
    assert response.content == b""


def test_head_readyz_answers_503_when_the_database_is_down(client):
    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        side_effect=OperationalError("connection refused"),
    ):
        response = client.head("/readyz")
    assert response.status_code == 503


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_writes_to_health_endpoints_are_405(client, path):
    assert client.post(path).status_code == 405


def test_options_on_the_api_docs_without_credentials_is_not_an_error(client):
    response = client.options("/api/docs/")
    assert response.status_code == 200
    assert "GET" in response["Allow"]
    assert client.get("/api/docs/").status_code == 200


def test_options_on_the_schema_without_credentials_is_not_an_error(client):
    assert client.options("/api/schema/").status_code < 500
