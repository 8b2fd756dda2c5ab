import inspect
import json
import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from customers.api.dialects import CUSTOMERS, LOYALTY, MARKETING_PREFERENCES, OPTOUT, SERVICE, V2
from customers.schema import SECOND_MOUNTS, routes

# Operations that only read although they are called with POST (reads_only views): no 403.
# Operations that read with POST (reads_only): the read-only user may call them, no 403.
READS_WITH_POST = {"service_decisions_ask"}

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


# The document tells the truth about every route -----------------------------------------------
def generated_schema() -> dict:
    out = StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return generated_schema()


def operations_of(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_every_route_in_the_url_config_is_in_the_schema(schema):
    missing = [
        r.openapi_path for r in routes() if r.documented and r.openapi_path not in schema["paths"]
    ]
    assert not missing


def test_every_method_a_view_answers_is_documented(schema):
    for route in routes():
        view = route.view_class
        if not route.documented or view is None or not hasattr(view, "dialect"):
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view, method):
                assert method in schema["paths"][route.openapi_path], (route.pattern, method)


def test_no_operation_shows_a_view_class_docstring(schema):
    docstrings = {
        " ".join(inspect.getdoc(r.view_class).split())
        for r in routes()
        if r.view_class is not None and inspect.getdoc(r.view_class)
    }
    for path, method, operation in operations_of(schema):
        description = " ".join(operation.get("description", "").split())
        assert description, f"{method} {path} says nothing about itself"
        assert description not in docstrings, f"{method} {path}"


def test_each_operation_has_one_security_list_without_repeats(schema):
    for path, method, operation in operations_of(schema):
        security = operation.get("security", [])
        names = [name for requirement in security for name in requirement]
        assert len(names) == len(set(names)), f"{method} {path}: {security}"


def test_component_names_have_no_doubled_suffix(schema):
    assert not [name for name in schema["components"]["schemas"] if "RequestRequest" in name]


def test_each_operation_has_one_tag_naming_its_dialect_or_kind(schema):
    tags = {
        dialect.tag for dialect in (SERVICE, CUSTOMERS, MARKETING_PREFERENCES, LOYALTY, V2, OPTOUT)
    }
    tags |= {"Health", "Hosted pages"} | {tag for _, _, tag in SECOND_MOUNTS}
    for path, method, operation in operations_of(schema):
        assert len(operation["tags"]) == 1 and operation["tags"][0] in tags, f"{method} {path}"


@pytest.mark.parametrize(
    ("condition", "status"),
    [
        ("always", "503"),
        ("credentials", "401"),
        ("credentials", "429"),
        ("write", "403"),
        ("path", "404"),
        ("body", "413"),
        ("body", "415"),
    ],
)
def test_every_api_operation_documents_the_errors_it_can_answer(schema, condition, status):
    for path, method, operation in operations_of(schema):
        if operation["tags"][0] in ("Health", "Hosted pages"):
            continue
        applies = {
            "always": True,
            "credentials": bool(operation.get("security")),
            "write": method != "get" and bool(operation.get("security")),
            "path": "{" in path,
            "body": "requestBody" in operation,
        }[condition]
        if applies and not (condition == "write" and operation["operationId"] in READS_WITH_POST):
            assert status in operation["responses"], f"{method} {path}"


def test_error_responses_use_their_dialects_error_schema(schema):
    errors = {
        "ServiceError",
        "CustomersError",
        "MarketingPreferencesError",
        "LoyaltyError",
        "V2Error",
        "OptOutError",
    }
    for path, method, operation in operations_of(schema):
        for status, response in operation["responses"].items():
            if status.startswith("4") and "application/json" in response.get("content", {}):
                ref = response["content"]["application/json"]["schema"].get("$ref", "")
                assert ref.rsplit("/", 1)[-1] in errors, f"{method} {path} {status}"


def test_no_schema_is_left_as_any(schema):
    """Every schema says what it is: a type, a reference, a combination or an enum."""
    empty = []

    def visit(node, where):
        if isinstance(node, dict):
            if "schema" in node and isinstance(node["schema"], dict):
                check(node["schema"], where)
            for key in ("properties",):
                for name, child in node.get(key, {}).items():
                    check(child, f"{where}.{name}")
            if isinstance(node.get("items"), dict):
                check(node["items"], f"{where}[]")
            for key, child in node.items():
                visit(child, f"{where}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                visit(child, f"{where}[{index}]")

    def check(node, where):
        if not ({"type", "$ref", "oneOf", "anyOf", "allOf", "enum"} & set(node)):
            empty.append(where)

    visit(schema["paths"], "paths")
    visit(schema["components"]["schemas"], "components")
    assert not empty


def test_examples_match_their_schemas(schema):
    from jsonschema import Draft202012Validator

    def as_json_schema(node):
        """OpenAPI 3.0's `nullable` in JSON Schema terms."""
        if isinstance(node, list):
            return [as_json_schema(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: as_json_schema(value) for key, value in node.items()}
        if node.pop("nullable", False):
            return {"anyOf": [node, {"type": "null"}]}
        return node

    resolver_root = {"components": as_json_schema(schema["components"])}

    def validate(example, media_schema, where):
        validator = Draft202012Validator({**as_json_schema(media_schema), **resolver_root})
        errors = [e.message for e in validator.iter_errors(example)]
        assert not errors, f"{where}: {errors}"

    for path, method, operation in operations_of(schema):
        bodies = [("request", operation.get("requestBody", {}).get("content", {}))]
        bodies += [(status, r.get("content", {})) for status, r in operation["responses"].items()]
        for where, content in bodies:
            for media in content.values():
                for name, example in media.get("examples", {}).items():
                    validate(example["value"], media["schema"], f"{method} {path} {where} {name}")


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
