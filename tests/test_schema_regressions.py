"""Each case schemathesis found, kept as an ordinary test: the server accepts what the schema
says and nothing else, and never answers a 500."""

import pytest

from tests.test_access_matrix import row_counts
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(organisation):
    return build_world(organisation)


def test_another_method_on_health_is_405_not_a_csrf_403(anon_client):
    assert anon_client.generic("QUERY", "/healthz").status_code == 405
    assert anon_client.generic("PATCH", "/readyz").status_code == 405


def test_another_method_on_a_hosted_page_is_405_not_a_csrf_403(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.generic("PATCH", "/pages/resubscribe/some-token").status_code == 405
    assert client.post("/pages/resubscribe/some-token").status_code == 403  # CSRF still on POST


def test_logs_after_the_largest_documented_bound_are_none(rw_client, world):
    response = rw_client.get("/customers/ada@example.com/logs", {"created_gt": 253402300799})
    assert response.status_code == 200
    assert response.json()["logs"] == []


@pytest.mark.parametrize("value", [0, 1, "true", "yes"])
def test_is_public_must_be_a_json_boolean(rw_client, world, value):
    before = row_counts()
    body = {"publicName": "x", "privateName": "x", "isPreference": True, "isPublic": value}
    response = rw_client.post("/v2/preferences", body, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "isPublic: Must be true or false. ERROR_PARAMETER_INVALID"
    assert row_counts() == before


def test_is_opted_in_must_be_a_json_boolean(rw_client, world):
    before = row_counts()
    body = [{"id": world.preference.pk, "isPreference": True, "isOptedIn": 0}]
    response = rw_client.put(f"/v2/contacts/{world.customer.pk}/preferences", body, format="json")
    assert response.status_code == 400
    assert row_counts() == before


def test_a_number_is_not_a_string(rw_client, world):
    response = rw_client.post("/customers", {"email": "a@example.com", "locale": 5}, format="json")
    assert response.status_code == 400
    assert response.json()["status"] == "locale: Must be a string."


def test_a_channel_given_as_null_is_not_sent(rw_client, world):
    before = row_counts()
    body = {"email": {"preference": "OPT_OUT"}, "sms": None}
    response = rw_client.put(
        "/client/users/member-1@example.com/profile/marketing-subscription", body, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errorMessage"] == "Preference for sms is not sent in the request."
    assert row_counts() == before


@pytest.mark.parametrize("query", ["select=", "skip=", "select=&skip=0"])
def test_an_empty_query_parameter_is_invalid_not_absent(rw_client, world, query):
    response = rw_client.get(f"/v2/contacts/suppressed-since/2020-01-01?{query}")
    assert response.status_code == 400
    assert "Must not be empty." in response.json()["message"]


@pytest.mark.parametrize(
    "spelling",
    [
        lambda u: u.hex,
        lambda u: "{" + str(u) + "}",
        lambda u: "urn:uuid:" + str(u),
    ],
    ids=["bare-hex", "braces", "urn"],
)
def test_a_non_canonical_uuid_in_a_path_is_404(rw_client, world, spelling):
    assert (
        rw_client.get(f"/consent/v1/customers/{spelling(world.customer.uuid)}").status_code == 404
    )
    upper = str(world.customer.uuid).upper()
    assert rw_client.get(f"/consent/v1/customers/{upper}").status_code == 200


def test_a_non_canonical_uuid_in_a_body_is_400(rw_client, world):
    before = row_counts()
    body = {
        "customerUUID": world.customer.uuid.hex,
        "communicationAttributesList": [
            {
                "communicationType": "EMAIL",
                "communicationValue": "ada@example.com",
                "okToCommunicate": False,
            }
        ],
        "event": "GENERIC_MESSAGE_RECEIVED",
        "updateType": "CUSTOMER",
        "processSynchronously": True,
    }
    url = f"/communications/department/{world.department.uuid}/optoutstatus"
    assert rw_client.post(url, body, format="json").status_code == 400
    assert row_counts() == before


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "http://", "http://[", " http://example.com", "https://a b.example"],
)
def test_a_return_url_outside_the_schemas_pattern_is_400(rw_client, world, url):
    body = {"unsubscribedContact": {"email": "gone@example.com"}, "returnUrlToUseIfChallenged": url}
    before = row_counts()
    assert rw_client.post("/v2/contacts/resubscribe", body, format="json").status_code == 400
    assert row_counts() == before


def test_customers_refuses_unknown_fields_as_its_schema_says(rw_client, world):
    response = rw_client.post("/customers", {"email": "a@example.com", "x": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["status"] == "x: Unknown field."
