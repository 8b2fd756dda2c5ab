"""Each dialect's error envelope, for the errors DRF raises and the ones views raise."""

import pytest
from django.http import Http404
from django.urls import path
from rest_framework import serializers
from rest_framework.response import Response

from customers.api.base import OrganisationScopedView
from customers.api.dialects import (
    CUSTOMERS,
    LOYALTY,
    MARKETING_PREFERENCES,
    OPTOUT,
    V2,
    DialectError,
)

pytestmark = pytest.mark.django_db


class ItemSerializer(serializers.Serializer):
    email = serializers.EmailField()


def make_view(the_dialect):
    class View(OrganisationScopedView):
        dialect = the_dialect

        def get(self, request):
            raise Http404("No such thing.")

        def post(self, request):
            ItemSerializer(data=request.data).is_valid(raise_exception=True)
            return Response({})

        def put(self, request):
            raise DialectError("Either Email or SMS Preference is required.")

    return View.as_view()


urlpatterns = [
    path(f"{dialect.name}", make_view(dialect))
    for dialect in (CUSTOMERS, MARKETING_PREFERENCES, LOYALTY, V2, OPTOUT)
]


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = __name__


def test_customers_dialect(rw_client, anon_client):
    assert rw_client.get("/customers").json() == {"success": False, "status": "No such thing."}
    response = rw_client.post("/customers", {"email": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"success": False, "status": "email: Enter a valid email address."}
    assert anon_client.get("/customers").json()["success"] is False


def test_marketing_preferences_dialect_answers_422_with_field_errors(rw_client):
    response = rw_client.post("/marketing-preferences", {"email": "x"}, format="json")
    assert response.status_code == 422
    assert response.json() == {
        "message": "email: Enter a valid email address.",
        "errors": {"email": ["Enter a valid email address."]},
    }
    assert rw_client.get("/marketing-preferences").json() == {"message": "No such thing."}


def test_loyalty_dialect(rw_client):
    response = rw_client.put("/loyalty", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorMessage": "Either Email or SMS Preference is required.",
        "errorCode": "INVALID_REQUEST",
    }
    assert rw_client.get("/loyalty").json() == {
        "statusCode": 404,
        "errorMessage": "No such thing.",
        "errorCode": "NOT_FOUND",
    }


def test_v2_dialect_ends_every_message_with_its_error_code(rw_client):
    assert rw_client.get("/v2").json() == {
        "message": "No such thing. ERROR_NOT_FOUND",
        "errorCode": "ERROR_NOT_FOUND",
    }
    assert rw_client.put("/v2", {}, format="json").json() == {
        "message": "Either Email or SMS Preference is required. ERROR_PARAMETER_INVALID",
        "errorCode": "ERROR_PARAMETER_INVALID",
    }


@pytest.mark.parametrize(
    "method, headers, status, code",
    [
        ("get", {}, 401, "ERROR_INVALID_LOGIN"),
        ("patch", {"HTTP_AUTHORIZATION": "auth"}, 405, "ERROR_METHOD_NOT_ALLOWED"),
        (
            "post",
            {"HTTP_AUTHORIZATION": "auth", "CONTENT_TYPE": "text/csv"},
            415,
            "ERROR_CONTENT_TYPE_IS_NOT_SUPPORTED",
        ),
    ],
)
def test_v2_dialect_words_drfs_own_errors_with_a_trailing_code(
    rw_client, anon_client, rw_user, method, headers, status, code
):
    client = rw_client if headers.pop("HTTP_AUTHORIZATION", None) else anon_client
    response = client.generic(method.upper(), "/v2", b"a,b", **headers)
    body = response.json()
    assert response.status_code == status
    assert body["errorCode"].startswith("ERROR_")
    assert body["message"].endswith(" " + body["errorCode"])
    if code:
        assert body["errorCode"] == code


def test_optout_dialect_gives_every_error_a_unique_uid(rw_client, caplog):
    first = rw_client.post("/optout", {"email": "x"}, format="json").json()
    second = rw_client.post("/optout", {"email": "x"}, format="json").json()
    assert first["warnings"] == []
    [error] = first["errors"]
    assert error["errorCode"] == "INVALID_REQUEST"
    assert error["errorDescription"] == "email: Enter a valid email address."
    assert error["errorUID"] != second["errors"][0]["errorUID"]
    assert error["errorUID"] in caplog.text


def test_malformed_json_is_the_dialects_400(rw_client):
    response = rw_client.generic("POST", "/v2", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "ERROR_PARAMETER_INVALID"


def test_an_unauthenticated_call_keeps_its_401_and_header(anon_client):
    response = anon_client.get("/loyalty")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response
    assert response.json()["errorCode"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    "dialect", ["customers", "marketing-preferences", "loyalty", "v2", "optout"]
)
def test_a_lone_surrogate_in_json_is_the_dialects_400_not_a_500(rw_client, dialect):
    response = rw_client.generic(
        "POST", f"/{dialect}", r'{"email": "\ud800"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert "surrogate" in response.content.decode()
