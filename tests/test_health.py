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
