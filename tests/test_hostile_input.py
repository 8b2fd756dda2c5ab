"""Hostile path and query parameters and bodies on the real routes: the dialect's 4xx JSON,
quickly, and nothing changed (customers.api.guard, customers.parsers)."""

import io
import time
from urllib.parse import quote

import pytest
from django.core.management import call_command

from customers.models import Customer
from customers.normalisation import parse_id
from tests.hostile import assert_dialect_error, fingerprint, json_body_routes

pytestmark = pytest.mark.django_db

DEEP = "[" * 400 + "]" * 400


# Path parameters: NUL, over-long values, non-ASCII digits -----------------------------------
@pytest.mark.parametrize(
    ("method", "path", "dialect"),
    [
        ("GET", "/v2/contacts/a%00@b.com/subscriptions", "v2"),
        ("GET", "/v2/contacts/a%00@b.com/preferences", "v2"),
        ("PUT", "/client/users/a%00b/profile/marketing-subscription", "loyalty"),
        ("GET", "/customers/a%00@b.com", "customers"),
        ("DELETE", "/customers/a%00@b.com", "customers"),
        ("GET", "/customers/a%00@b.com/logs", "customers"),
        ("GET", "/customers/customers/a%00b/marketing-preferences", "marketing-preferences"),
        ("POST", "/communications/department/a%00b/optoutstatus", "optout"),
        ("GET", "/consent/v1/customers/a%00b", "service"),
        ("PUT", "/v2/preferences/1%00", "v2"),
        ("GET", "/v2/contacts/with-preference/1%00", "v2"),
    ],
)
def test_a_nul_in_a_path_parameter_is_the_dialects_404(rw_client, world, method, path, dialect):
    before = fingerprint()
    response = rw_client.generic(
        method, path, '{"email": {"preference": "OPT_IN"}}', "application/json"
    )
    assert_dialect_error(response, dialect, 404)
    assert fingerprint() == before


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT"])
@pytest.mark.parametrize(
    "digit", ["%C2%B2", "%D9%A1", "%EF%BC%91"], ids=["superscript", "arabic", "fullwidth"]
)
def test_a_non_ascii_digit_as_contact_id_is_the_v2_404(rw_client, world, method, digit):
    before = fingerprint()
    response = rw_client.generic(
        method, f"/v2/contacts/{digit}/preferences", "[]", "application/json"
    )
    assert response.status_code == 404
    if method != "HEAD":
        assert_dialect_error(response, "v2", 404)
    assert fingerprint() == before


def test_a_non_ascii_digit_never_names_a_preference(rw_client, world):
    # int("\u0661\u0662") is 12: only ASCII digits name an id.
    arabic = "".join(chr(0x660 + int(digit)) for digit in str(world["preference"].pk))
    response = rw_client.get(f"/v2/contacts/with-preference/{quote(arabic)}")
    assert_dialect_error(response, "v2", 404)
    assert (
        rw_client.get(f"/v2/contacts/with-preference/{world['preference'].pk}").status_code == 200
    )


def test_an_over_long_path_parameter_is_the_dialects_404(rw_client, world):
    response = rw_client.get("/customers/" + "a" * 2000 + "@example.com")
    assert_dialect_error(response, "customers", 404)


def test_hostile_path_parameters_without_credentials_are_still_a_401(anon_client):
    response = anon_client.get("/v2/contacts/a%00@b.com/subscriptions")
    assert_dialect_error(response, "v2", 401)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        ("0", 0),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", None),
        ("²", None),
        ("\u0661", None),
        ("\uff11", None),
        ("+1", None),
        ("1_000", None),
        (" 1", None),
        ("", None),
        ("1" * 40, None),
    ],
)
def test_ids_are_read_from_ascii_digits_only(text, expected):
    assert parse_id(text) == expected


# Query parameters ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "dialect"),
    [
        ("/customers/ada@example.com/logs?count=1%00", "customers"),
        ("/v2/contacts/suppressed-since/2020-01-01?select=%00", "v2"),
        ("/v2/contacts/with-preference/1?minContactID=%00", "v2"),
        ("/consent/v1/customers/{uuid}/consent-events?cursor=%00", "service"),
        ("/communications/department/{department}/optoutstatus?communicationValue=a%00b", "optout"),
        ("/customers/customers/{uuid}/marketing-preferences?page=1%00", "marketing-preferences"),
    ],
)
def test_a_nul_in_a_query_parameter_is_the_dialects_invalid_input(rw_client, world, path, dialect):
    path = path.format(uuid=world["customer"].uuid, department=world["department"].uuid)
    status = 422 if dialect == "marketing-preferences" else 400
    assert_dialect_error(rw_client.get(path), dialect, status)


def test_an_over_long_query_parameter_is_the_dialects_400(rw_client, world):
    response = rw_client.get("/v2/contacts/suppressed-since/2020-01-01?select=" + "1" * 5000)
    assert_dialect_error(response, "v2", 400)


def test_too_many_query_fields_is_the_dialects_400(rw_client, world):
    response = rw_client.get("/customers/ada@example.com/logs?" + "a=1&" * 1500)
    assert_dialect_error(response, "customers", 400)


# Bodies ----------------------------------------------------------------------------------------
def test_json_nested_400_deep_is_the_dialects_400_on_every_json_route(rw_client, world):
    for method, path, dialect in json_body_routes(world):
        before = fingerprint()
        response = rw_client.generic(method, path, DEEP, content_type="application/json")
        body = assert_dialect_error(response, dialect, 400)
        assert "nested deeper" in str(body), (path, body)
        assert fingerprint() == before, path


def test_json_nested_deeper_than_the_json_module_can_is_a_400_too(rw_client, world):
    response = rw_client.post(
        "/customers", "[" * 5000 + "]" * 5000, content_type="application/json"
    )
    assert_dialect_error(response, "customers", 400)


def test_a_million_empty_items_are_refused_quickly(rw_client, world):
    body = "[" + ",".join(["{}"] * 1_000_000) + "]"
    before = fingerprint()
    started = time.monotonic()
    response = rw_client.put(
        f"/v2/contacts/{world['customer'].pk}/preferences", body, content_type="application/json"
    )
    elapsed = time.monotonic() - started
    assert_dialect_error(response, "v2", 413)
    assert fingerprint() == before
    assert elapsed < 10  # 30 s and a 500 before the limits were applied while parsing


def test_a_category_with_300000_nested_preferences_is_refused(rw_client, world):
    item = '{"id": 1, "isPreference": true, "isOptedIn": true}'
    body = '[{"id": 1, "isPreference": false, "preferences": [' + ",".join([item] * 300_000) + "]}]"
    before = fingerprint()
    response = rw_client.put(
        f"/v2/contacts/{world['customer'].pk}/preferences", body, content_type="application/json"
    )
    assert_dialect_error(response, "v2", 413)
    assert fingerprint() == before


def test_more_items_than_a_route_takes_are_counted_before_any_is_validated(
    rw_client, world, monkeypatch
):
    from preferences.api import v2

    validated = []
    original = v2.V2ContactPreferenceStateSerializer.run_validation

    def spy(self, data=None):
        validated.append(data)
        return original(self, data)

    monkeypatch.setattr(v2.V2ContactPreferenceStateSerializer, "run_validation", spy)
    nested = ",".join(['{"id": 1, "isPreference": true, "isOptedIn": true}'] * 10_001)
    body = f'[{{"id": 1, "isPreference": false, "preferences": [{nested}]}}]'
    response = rw_client.put(
        f"/v2/contacts/{world['customer'].pk}/preferences", body, content_type="application/json"
    )
    body = assert_dialect_error(response, "v2", 400)
    assert "10000" in body["message"]
    assert validated == []


def chunked(client, path, payload: str, *, terminated: bool = True):
    """POST `payload` as a server hands on a chunked body: no Content-Length, the chunks decoded,
    and (gunicorn) `wsgi.input_terminated` saying the stream ends where the body does."""
    extra = {"wsgi.input": io.BytesIO(payload.encode()), "CONTENT_LENGTH": ""}
    if terminated:
        extra["wsgi.input_terminated"] = True
    return client.generic(
        "POST", path, payload, "application/json", HTTP_TRANSFER_ENCODING="chunked", **extra
    )


def test_a_chunked_body_over_the_size_limit_is_refused_while_reading(settings, rw_client, world):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = fingerprint()
    response = chunked(rw_client, "/customers", '{"email": "' + "a" * 2000 + '@example.com"}')
    assert_dialect_error(response, "customers", 413)
    assert fingerprint() == before


# Chunked bodies ---------------------------------------------------------------------------------
def test_a_chunked_body_is_read_when_the_server_delimits_it(rw_client, organisation):
    # gunicorn decodes the chunks and says so with wsgi.input_terminated; Django alone would
    # read Content-Length bytes, that is none, and answer "email: This field is required".
    response = chunked(rw_client, "/customers", '{"email": "chunked@example.com"}')
    assert response.status_code == 200, response.content
    assert Customer.objects.filter(email="chunked@example.com").exists()


def test_a_chunked_body_the_server_cannot_delimit_is_a_411(rw_client, organisation):
    payload = '{"email": "chunked@example.com"}'
    response = chunked(rw_client, "/customers", payload, terminated=False)
    assert_dialect_error(response, "customers", 411)
    assert not Customer.objects.exists()


# Imports and the admin read ids the same way ----------------------------------------------------
def test_a_non_ascii_digit_in_an_optins_import_is_a_rejected_row(tmp_path, world, organisation):
    path = tmp_path / "optins.csv"
    path.write_text(f"customer,preference_id,opted_in\n²,{world['preference'].pk},true\n")
    before = fingerprint()
    call_command("import_optins", str(path), organisation=organisation.slug, stdout=None)
    assert fingerprint() == before
    assert "not a contact id" in (tmp_path / "optins.csv.rejects.csv").read_text()


# Times at the edges of what a datetime holds ---------------------------------------------------
@pytest.mark.parametrize(
    ("date", "status"),
    [
        ("0001-01-01", 200),
        ("9999-12-31T23:59:59.999999Z", 200),
        ("0001-01-01T00:00:00+01:00", 400),  # before year 1 in UTC
        ("9999-12-31T23:59:59-23:59", 400),  # after year 9999 in UTC
        ("10000-01-01", 400),
        ("2020-13-45T99:99", 400),
    ],
)
@pytest.mark.parametrize(
    "route",
    [
        "/v2/contacts/suppressed-since/{date}",
        "/v2/contacts/unsubscribed-since/{date}",
        "/v2/preferences/modified-since/{date}",
        "/v2/contacts/with-preference/{preference}/opt-ins-since/{date}",
    ],
)
def test_since_dates_at_the_edges_of_time_are_200_or_the_v2_400(
    rw_client, world, route, date, status
):
    response = rw_client.get(route.format(date=quote(date), preference=world["preference"].pk))
    if status == 200:
        assert response.status_code == 200, response.content
    else:
        assert_dialect_error(response, "v2", 400)


def test_an_empty_chunked_body_is_an_empty_body_not_a_411(rw_client, world):
    response = chunked(rw_client, "/customers", "")
    assert_dialect_error(response, "customers", 400)  # "email: This field is required."
