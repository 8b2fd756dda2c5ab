from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from conftest import basic_auth_header
from customers.models import ApiToken, Membership, Organisation
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def create_api_user(*args):
    out = StringIO()
    call_command("create_api_user", *args, stdout=out)
    return out.getvalue()


def test_create_api_user_creates_the_organisation_and_a_working_login():
    output = create_api_user(
        "--organisation", "acme", "--username", "bot", "--password", "s3cret!x"
    )
    assert "s3cret" not in output
    organisation = Organisation.objects.get(slug="acme")
    customer = CustomerFactory(organisation=organisation)
    client = APIClient(HTTP_AUTHORIZATION=basic_auth_header("bot", "s3cret!x"))
    assert client.get(f"/consent/v1/customers/{customer.uuid}").status_code == 200


def test_create_api_user_read_only_makes_a_read_only_user():
    create_api_user(
        "--organisation", "acme", "--username", "reader", "--password", "pw", "--read-only"
    )
    assert Membership.objects.get(user__username="reader").role == Membership.Role.READ_ONLY


def test_create_api_user_token_prints_a_working_key_on_one_line():
    output = create_api_user(
        "--organisation", "acme", "--username", "bot", "--password", "pw", "--token"
    )
    [key] = [
        line.removeprefix("token: ") for line in output.splitlines() if line.startswith("token: ")
    ]
    customer = CustomerFactory(organisation=Organisation.objects.get(slug="acme"))
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(f"/consent/v1/customers/{customer.uuid}").status_code == 200


def test_create_api_user_refuses_to_move_a_user_to_another_organisation():
    create_api_user("--organisation", "acme", "--username", "bot", "--password", "pw")
    with pytest.raises(CommandError, match="belongs to organisation 'acme'"):
        create_api_user("--organisation", "globex", "--username", "bot", "--password", "pw")


def test_create_api_user_refuses_a_bad_slug():
    with pytest.raises(CommandError):
        create_api_user("--organisation", "Not A Slug", "--username", "bot", "--password", "pw")


def test_seed_demo_prints_logins_and_can_run_twice():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())
    output = out.getvalue()
    assert "/admin/" in output and "demo-admin" in output and "token: " not in output
    assert "Token:" in output
    organisation = Organisation.objects.get(slug="demo")
    assert organisation.customers.count() == 5
    client = APIClient(HTTP_AUTHORIZATION=basic_auth_header("demo-api", "demo-password-1"))
    customer = organisation.customers.first()
    assert client.get(f"/consent/v1/customers/{customer.uuid}").status_code == 200


def test_seed_demo_rerun_leaves_one_valid_demo_token():
    first, second = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    old_key, new_key = (
        next(line.split()[-1] for line in out.getvalue().splitlines() if line.startswith("Token:"))
        for out in (first, second)
    )
    assert ApiToken.objects.filter(revoked_at=None, name="seed_demo").count() == 1
    customer = Organisation.objects.get(slug="demo").customers.first()
    url = f"/consent/v1/customers/{customer.uuid}"
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {old_key}").get(url).status_code == 401
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {new_key}").get(url).status_code == 200


def test_seed_demo_prints_a_decision_curl_line_that_works():
    import json
    import shlex

    out = StringIO()
    call_command("seed_demo", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "/consent/v1/decisions" in line)
    words = shlex.split(line.split("curl", 1)[1])
    body = json.loads(words[words.index("-d") + 1])
    client = APIClient(HTTP_AUTHORIZATION=basic_auth_header("demo-readonly", "demo-password-1"))
    response = client.post("/consent/v1/decisions", body, format="json")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
