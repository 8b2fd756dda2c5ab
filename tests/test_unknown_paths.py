"""Unknown paths under an API's prefix answer that API's JSON 404, not Django's HTML page."""

import pytest

from tests.hostile import assert_dialect_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize(
    "path", ["/consent/v1/", "/consent/v1/nothing-here", "/consent/v1/customers/x/y/z"]
)
def test_an_unknown_service_path_is_the_service_404(rw_client, anon_client, method, path):
    for client in (rw_client, anon_client):
        response = client.generic(method, path, "{}", "application/json")
        body = assert_dialect_error(response, "service", 404)
        assert body["code"] == "NOT_FOUND"


@pytest.mark.parametrize("path", ["/v2/nothing-here", "/v2/contacts/a/b/c/d", "/v2/"])
def test_an_unknown_v2_path_is_the_v2_404(rw_client, path):
    body = assert_dialect_error(rw_client.get(path), "v2", 404)
    # As the vendor writes its codes, and at the end of the message for its clients.
    assert body["errorCode"] == "ERROR_NOT_FOUND"
    assert body["message"].endswith(" ERROR_NOT_FOUND")


def test_known_paths_are_still_served(rw_client):
    assert rw_client.get("/v2/preferences").status_code == 200
    assert rw_client.get("/consent/v1/customers/not-a-uuid").status_code == 404
