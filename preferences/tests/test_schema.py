"""The OpenAPI schema documents the preference routes at the seeds' paths and names."""

import re

import pytest

pytestmark = pytest.mark.django_db

SEED_OPERATIONS = {
    ("/customers/customers/{customerId}/marketing-preferences", "get"),
    ("/customers/customers/{customerId}/marketing-preferences/{marketingPreferenceId}", "get"),
    ("/customers/customers/{customerId}/marketing-preferences/{marketingPreferenceId}", "put"),
    ("/customers/customers/{customerId}/marketing-preferences/{marketingPreferenceId}", "delete"),
    ("/v2/preferences", "post"),
    ("/v2/preferences", "get"),
    ("/v2/preferences/{id}", "put"),
    ("/v2/preferences/{id}", "delete"),
    ("/v2/preferences/modified-since/{date}", "get"),
    ("/v2/contacts/{contactIdentifier}/preferences", "put"),
    ("/v2/contacts/{contactIdentifier}/preferences", "get"),
    ("/v2/contacts/with-preference/{preferenceId}", "get"),
    ("/v2/contacts/with-preference/{preferenceId}/opt-ins-since/{date}", "get"),
}


def test_every_seed_operation_is_documented_with_its_path_parameters(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, method in SEED_OPERATIONS:
        operation = schema["paths"][path][method]
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), (path, method)
