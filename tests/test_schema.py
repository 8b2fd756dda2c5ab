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
