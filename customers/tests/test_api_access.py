"""Authentication, roles, tenancy and rate limiting on a real route (DESIGN §2)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import basic_auth_header
from customers import services, throttling
from customers.tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(organisation):
    return CustomerFactory(organisation=organisation)


def detail_url(customer):
    return reverse("service-customer", args=[customer.uuid])


def test_it_returns_the_customer_to_a_user_of_its_organisation(rw_client, customer):
    response = rw_client.get(detail_url(customer))
    assert response.status_code == 200
    assert response.json()["id"] == str(customer.uuid)
    assert response.json()["contact_id"] == customer.pk


def test_it_answers_401_without_credentials(anon_client, customer):
    response = anon_client.get(detail_url(customer))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json()["code"] == "UNAUTHORIZED"


def test_it_answers_401_for_a_wrong_password(rw_user, customer):
    client = APIClient(HTTP_AUTHORIZATION=basic_auth_header(rw_user.username, "wrong"))
    assert client.get(detail_url(customer)).status_code == 401


def test_it_answers_401_for_an_unknown_user(customer):
    client = APIClient(HTTP_AUTHORIZATION=basic_auth_header("nobody", "whatever"))
    assert client.get(detail_url(customer)).status_code == 401


def test_it_answers_401_for_an_inactive_user(rw_user, rw_client, customer):
    rw_user.is_active = False
    rw_user.save()
    assert rw_client.get(detail_url(customer)).status_code == 401


def test_it_accepts_a_bearer_token(rw_user, customer):
    _, key = services.api_token_issue(user=rw_user)
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(detail_url(customer)).status_code == 200


def test_it_answers_401_for_an_unknown_or_revoked_token(rw_user, customer):
    token, key = services.api_token_issue(user=rw_user)
    assert APIClient(HTTP_AUTHORIZATION="Bearer nope").get(detail_url(customer)).status_code == 401
    services.api_tokens_revoke(tokens=type(token).objects.filter(pk=token.pk))
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(detail_url(customer)).status_code == 401


def test_it_accepts_a_token_as_basic_user_name_with_an_empty_password(rw_user, customer):
    _, key = services.api_token_issue(user=rw_user)
    client = APIClient(HTTP_AUTHORIZATION=basic_auth_header(key, ""))
    assert client.get(detail_url(customer)).status_code == 200


def test_it_answers_401_for_an_unknown_token_as_basic_user_name(customer):
    client = APIClient(HTTP_AUTHORIZATION=basic_auth_header("not-a-token", ""))
    assert client.get(detail_url(customer)).status_code == 401


def test_it_accepts_a_token_in_the_x_swu_api_key_header(rw_user, customer):
    _, key = services.api_token_issue(user=rw_user)
    client = APIClient(HTTP_X_SWU_API_KEY=key)
    assert client.get(detail_url(customer)).status_code == 200


@pytest.mark.parametrize("key", ["nope", "", "  ", "clé"])
def test_it_answers_401_for_a_bad_x_swu_api_key(customer, key):
    response = APIClient(HTTP_X_SWU_API_KEY=key).get(detail_url(customer))
    assert response.status_code == 401


def test_a_read_only_users_api_key_is_refused_a_write(ro_user, customer):
    _, key = services.api_token_issue(user=ro_user)
    response = APIClient(HTTP_X_SWU_API_KEY=key).delete(detail_url(customer))
    assert response.status_code == 403


def test_it_answers_403_to_a_read_only_user_on_a_write(ro_client, customer):
    response = ro_client.delete(detail_url(customer))
    assert response.status_code == 403
    assert response.json()["message"] == "This API user is read-only."
    customer.refresh_from_db()
    assert customer.email is not None


def test_it_answers_403_to_a_user_outside_any_organisation(customer):
    user = UserFactory()
    client = APIClient(HTTP_AUTHORIZATION=basic_auth_header(user.username))
    assert client.get(detail_url(customer)).status_code == 403


def test_another_organisations_customer_is_404(other_client, customer):
    response = other_client.get(detail_url(customer))
    assert response.status_code == 404
    assert str(customer.uuid) not in response.content.decode()


def test_a_malformed_uuid_is_404(rw_client):
    assert rw_client.get("/consent/v1/customers/not-a-uuid").status_code == 404


def test_it_remembers_basic_credentials_until_the_password_changes(rw_user, rw_client, customer):
    assert rw_client.get(detail_url(customer)).status_code == 200
    rw_user.set_password("a-new-password")
    rw_user.save()
    assert rw_client.get(detail_url(customer)).status_code == 401


def test_it_answers_429_with_retry_after_past_the_rate_limit(settings, rw_client, customer):
    settings.API_RATE_LIMIT = 2
    assert rw_client.get(detail_url(customer)).status_code == 200
    assert rw_client.get(detail_url(customer)).status_code == 200
    response = rw_client.get(detail_url(customer))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_the_rate_limit_counts_per_calendar_minute(settings, rw_client, customer, monkeypatch):
    settings.API_RATE_LIMIT = 2
    monkeypatch.setattr(throttling, "_now", lambda: 6_000_045.0)  # 45 s into a minute
    for _ in range(2):
        assert rw_client.get(detail_url(customer)).status_code == 200
    refused = rw_client.get(detail_url(customer))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "15"
    monkeypatch.setattr(throttling, "_now", lambda: 6_000_060.0)  # the next minute
    assert rw_client.get(detail_url(customer)).status_code == 200


def test_a_rate_limit_of_zero_turns_limiting_off(settings, rw_client, customer):
    settings.API_RATE_LIMIT = 0
    for _ in range(5):
        assert rw_client.get(detail_url(customer)).status_code == 200


def test_a_too_large_body_is_refused_before_parsing(settings, rw_client, customer):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = rw_client.delete(
        detail_url(customer), data='{"x": "' + "a" * 200 + '"}', content_type="application/json"
    )
    assert response.status_code == 413
    customer.refresh_from_db()
    assert not customer.is_erased


def test_it_echoes_a_request_id(rw_client, customer):
    response = rw_client.get(detail_url(customer), HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"


def test_the_detail_route_uses_a_constant_number_of_queries(
    rw_client, customer, django_assert_max_num_queries
):
    rw_client.get(detail_url(customer))  # warm the remembered Basic credentials
    # 1 user + membership + organisation, 1 customer
    with django_assert_max_num_queries(2):
        rw_client.get(detail_url(customer))
