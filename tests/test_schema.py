import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_without_warnings():
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    assert schema["openapi"].startswith("3.")


def test_the_schema_endpoint_needs_no_credentials(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert "/consent/v1/customers/{customer_uuid}" in schema["paths"]
    assert {"basicAuth", "bearerAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_docs_are_served_from_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    # Every script, stylesheet and icon comes from our own static files, none from a CDN.
    assert all(a.startswith("/static/drf_spectacular_sidecar/") for a in assets), assets


def test_the_vendor_clients_routes_are_in_the_schema_with_distinct_operations(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    expected = {
        "/api/v1/customers": ["post"],
        "/api/v1/customers/{email}": ["get", "delete"],
        "/api/v1/customers/{email}/logs": ["get"],
        "/api/v1/logs/{log_id}": ["get"],
        "/logs/{log_id}": ["get"],
        "/v2/contact/{contactIdentifier}/preferences": ["get", "put"],
        "/v2/contacts": ["post"],
        "/v2/contacts/{contactIdentifier}": ["get"],
        "/v2/contacts/{contactIdentifier}/with-consent": ["get"],
        "/v2/contacts/with-consent-and-preferences": ["post"],
        "/v2/contacts/{contactIdentifier}/with-consent-and-preferences": ["put"],
    }
    for path, methods in expected.items():
        assert set(methods) <= set(paths[path]), path
    assert paths["/api/v1/logs/{log_id}"]["get"]["operationId"] == "sendwithus_log_get"
    assert paths["/logs/{log_id}"]["get"]["operationId"] == "log_get"
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert schema["components"]["securitySchemes"]["apiKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-SWU-API-KEY",
    }
