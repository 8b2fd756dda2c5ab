"""The new routes are described in the OpenAPI schema with request, response and examples."""

import pytest

pytestmark = pytest.mark.django_db

ROUTES = {
    ("/consent/v1/decisions", "post"): True,
    ("/consent/v1/decisions", "get"): False,
    ("/consent/v1/email-events", "post"): True,
    ("/consent/v1/email-events/sendgrid", "post"): True,
    ("/consent/v1/customers/{customer_uuid}/export", "get"): False,
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    return response.json()


@pytest.mark.parametrize(("path", "method"), list(ROUTES), ids=[f"{m} {p}" for p, m in ROUTES])
def test_the_route_is_in_the_schema_with_examples(schema, path, method):
    operation = schema["paths"][path][method]
    ok = operation["responses"]["200"]["content"]["application/json"]
    assert "$ref" in ok["schema"]
    assert ok.get("examples"), "a response example"
    assert {"400", "401"} & set(operation["responses"]) or "404" in operation["responses"]
    if ROUTES[(path, method)]:
        body = operation["requestBody"]["content"]["application/json"]
        assert body["schema"]
        assert body.get("examples"), "a request example"
