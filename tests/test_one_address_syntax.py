"""Rule R6: one address syntax. Every route and import that takes an email address accepts the
same addresses (international local parts and domains, plus addressing, any case), refuses the
same invalid ones, and finds a stored address whatever its spelling's case or IDNA form."""

import csv
from io import StringIO
from urllib.parse import quote

import pytest

from conftest import assert_nothing_changed
from customers.models import Customer
from customers.normalisation import (
    InvalidEmail,
    _clean_email_in_full,
    clean_email,
    email_key_of,
    normalise_email,
)
from customers.tests.factories import CustomerFactory
from customers.tests.importing import run_import, write_file
from emaillogs.models import EmailLog
from optout.models import CommunicationStatus
from optout.tests.factories import DepartmentFactory
from preferences.models import PreferenceOptIn
from preferences.tests.factories import PreferenceFactory
from subscriptions.models import Suppression

pytestmark = pytest.mark.django_db

# (stored spelling, the spelling a caller uses later): both name one address.
SPELLINGS = [
    pytest.param("jürgen@example.com", "JÜRGEN@EXAMPLE.COM", id="international-local-part"),
    pytest.param("user@münchen.de", "User@XN--MNCHEN-3YA.de", id="idn-unicode-then-punycode"),
    pytest.param("user@xn--bcher-kva.example", "user@Bücher.example", id="idn-punycode-first"),
    pytest.param("first.last+tag@example.com", "First.Last+Tag@Example.com", id="plus"),
    pytest.param("UPPER@EXAMPLE.ORG", "upper@example.org", id="upper-case"),
    pytest.param("Ünïcödé.Ñame@Bücher.example", "ünïcödé.ñame@xn--bcher-kva.example", id="both"),
]

INVALID = [
    pytest.param("a/b@example.com", id="slash"),
    pytest.param("plainaddress", id="no-at"),
    pytest.param("user@localhost", id="no-dot-in-domain"),
    pytest.param("a..b@example.com", id="double-dot"),
    pytest.param("a b@example.com", id="space"),
    pytest.param('"quoted"@example.com', id="quoted-local-part"),
    pytest.param("user@-example.com", id="bad-label"),
    pytest.param("user@[127.0.0.1]", id="address-literal"),
    pytest.param("☃\u200b@example.com", id="invisible-character"),
    pytest.param("a" * 65 + "@example.com", id="local-part-too-long"),
    pytest.param("a@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 70, id="long"),
]


def test_the_spellings_are_one_address_and_valid():
    for param in SPELLINGS:
        stored, asked = param.values
        assert clean_email(stored) and clean_email(asked)
        assert normalise_email(stored) == normalise_email(asked)
    for param in INVALID:
        with pytest.raises(InvalidEmail):
            clean_email(param.values[0])


# Plain ASCII addresses beside the corpus above: what clean_email's fast path sees most.
PLAIN = [
    "a@example.com",
    "  padded@example.com  ",
    "First.Last+tag@Sub.Example.CO.UK",
    "x!#$%&'*+=?^_`{|}~-@example.org",
    "a" * 64 + "@example.com",
    "user@xn--bcher-kva.example",
    "user@xn--.example",
    "user@example.xn--p1ai",
    "a@xn--zz.com",
    "a@XN--ZZ.com",
    "x@xn--i.com",
    "a@xn--99999999999.com",
    "user@example.c0m",
    "user@example.c",
    "user@a-.example.com",
    "user@" + "a" * 64 + ".com",
    ".user@example.com",
    "user.@example.com",
    "user@example..com",
    "user@@example.com",
    "a@b@example.com",
    "user@example.com.",
    "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com",
    "",
    "@",
    None,
    42,
]


@pytest.mark.parametrize(
    "address",
    [param.values[0] for param in SPELLINGS]
    + [param.values[1] for param in SPELLINGS]
    + [param.values[0] for param in INVALID]
    + PLAIN,
)
def test_the_fast_path_answers_as_the_whole_syntax(address):
    """clean_email answers plain ASCII addresses by one regex; the full check must agree."""

    def answer(check):
        try:
            return check(address)
        except InvalidEmail as exc:
            return ("invalid", str(exc))

    assert answer(clean_email) == answer(_clean_email_in_full)


@pytest.mark.parametrize(
    "address",
    [param.values[0] for param in SPELLINGS]
    + [param.values[1] for param in SPELLINGS]
    + [param.values[0] for param in INVALID]
    + PLAIN
    + [" Ada@Example.ORG ", "ADA@XN--MNCHEN-3YA.DE", None, 42],
)
def test_the_compared_form_in_one_step_answers_as_checking_then_normalising(address):
    def answer(check):
        try:
            return check(address)
        except InvalidEmail as exc:
            return ("invalid", str(exc))

    assert answer(email_key_of) == answer(lambda value: normalise_email(clean_email(value)))


# Routes: each case stores a customer with one spelling, calls the route with the other, and
# checks the route reached that customer; `refuse` sends an invalid address and expects a 4xx.
@pytest.fixture
def department(organisation):
    return DepartmentFactory(organisation=organisation)


def post_customers(client, customer, asked, department):
    assert client.post("/customers", {"email": asked}, format="json").status_code == 200
    assert Customer.objects.filter(organisation=customer.organisation).count() == 1


def get_customer(client, customer, asked, department):
    response = client.get(f"/customers/{quote(asked)}")
    assert response.status_code == 200
    assert response.json()["customer"]["email"] == customer.email


def get_customer_logs(client, customer, asked, department):
    assert client.get(f"/customers/{quote(asked)}/logs").status_code == 200


def unsubscribe(client, customer, asked, department):
    response = client.post("/v2/contacts/unsubscribe", {"email": asked}, format="json")
    assert response.status_code == 200
    assert response.json()["suppressedContact"]["id"] == customer.pk


def suppress_contacts(client, customer, asked, department):
    response = client.put("/v2/contacts/suppress-contacts", [{"email": asked}], format="json")
    assert response.status_code == 200
    assert response.json()["notFound"] == []
    assert Suppression.objects.get().email == customer.email_key


def resubscribe(client, customer, asked, department):
    Suppression.objects.create(
        organisation=customer.organisation,
        address_key=_key(customer),
        email=customer.email_key,
        reason="Unsubscribed",
        date_removed="2020-01-01T00:00:00Z",
    )
    body = {"unsubscribedContact": {"email": asked}, "returnUrlToUseIfChallenged": ""}
    response = client.post("/v2/contacts/resubscribe", body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "ContactChallenged"


def resubscribe_without_challenge(client, customer, asked, department):
    body = {"unsubscribedContact": {"email": asked, "dataFields": [{"key": "k", "value": "v"}]}}
    response = client.post("/v2/contacts/resubscribe-with-no-challenge", body, format="json")
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.data_fields == {"k": "v"}


def contact_subscriptions(client, customer, asked, department):
    response = client.get(f"/v2/contacts/{quote(asked)}/subscriptions")
    assert response.status_code == 200
    assert response.json()["contact"]["id"] == customer.pk


def contact_preferences(client, customer, asked, department):
    assert client.get(f"/v2/contacts/{quote(asked)}/preferences").status_code == 200


def optout_email_item(client, customer, asked, department):
    item = {"communicationType": "EMAIL", "communicationValue": asked, "okToCommunicate": False}
    body = {
        "communicationAttributesList": [item],
        "event": "USER_REQUESTED_OPT_OUT",
        "updateType": "CUSTOMER",
    }
    url = f"/communications/department/{department.uuid}/optoutstatus"
    assert client.post(url, body, format="json").status_code == 200
    # Stored in the comparison form, and found again by the stored spelling.
    assert CommunicationStatus.objects.get().communication_value == customer.email_key
    response = client.get(url, {"communicationValue": customer.email})
    assert response.json()["communicationStatuses"][0]["okToCommunicate"] is False


def _key(customer):
    from customers.normalisation import address_key

    return address_key(customer.email_key)


ROUTES = [
    post_customers,
    get_customer,
    get_customer_logs,
    unsubscribe,
    suppress_contacts,
    resubscribe,
    resubscribe_without_challenge,
    contact_subscriptions,
    contact_preferences,
    optout_email_item,
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.__name__)
@pytest.mark.parametrize(("stored", "asked"), SPELLINGS)
def test_every_route_finds_the_address_in_any_spelling(
    rw_client, organisation, department, route, stored, asked
):
    customer = CustomerFactory(organisation=organisation, email=stored)
    route(rw_client, customer, asked, department)


def _refusals(department, address):
    """(method, path, body) of every address-taking route, with `address` in it."""
    optout_item = {
        "communicationType": "EMAIL",
        "communicationValue": address,
        "okToCommunicate": False,
    }
    return [
        ("post", "/customers", {"email": address}),
        ("get", f"/customers/{quote(address, safe='')}", None),
        ("delete", f"/customers/{quote(address, safe='')}", None),
        ("post", "/v2/contacts/unsubscribe", {"email": address}),
        ("put", "/v2/contacts/suppress-contacts", [{"email": address}]),
        ("post", "/v2/contacts/resubscribe", {"unsubscribedContact": {"email": address}}),
        (
            "post",
            "/v2/contacts/resubscribe-with-no-challenge",
            {"unsubscribedContact": {"email": address}},
        ),
        (
            "post",
            f"/communications/department/{department.uuid}/optoutstatus",
            {"communicationAttributesList": [optout_item], "event": "USER_REQUESTED_OPT_OUT"},
        ),
    ]


@pytest.mark.parametrize("address", INVALID)
def test_every_route_refuses_the_same_invalid_addresses(
    rw_client, organisation, department, address
):
    CustomerFactory(organisation=organisation, email="someone@example.com")
    with assert_nothing_changed():
        for method, path, body in _refusals(department, address):
            response = getattr(rw_client, method)(path, body, format="json")
            assert 400 <= response.status_code < 500, (method, path, response.status_code)
            if "/" not in address or body is not None:
                # (A "/" in a path segment matches no route at all: a plain 404.)
                assert response["Content-Type"].startswith("application/json"), (method, path)


# Imports ----------------------------------------------------------------------------------------
def import_customers(tmp_path, customer, asked, department):
    path = write_file(tmp_path, "c.csv", f"email,first_name\n{asked},Ann\n")
    assert "rejected 0" in run_import("import_customers", path)
    customer.refresh_from_db()
    assert customer.first_name == "Ann"
    assert Customer.objects.count() == 1


def import_suppressions(tmp_path, customer, asked, department):
    path = write_file(tmp_path, "s.csv", f"email,reason\n{asked},Unsubscribed\n")
    assert "rejected 0" in run_import("import_suppressions", path)
    assert Suppression.objects.get().address_key == _key(customer)


def import_optouts(tmp_path, customer, asked, department):
    path = write_file(
        tmp_path,
        "o.csv",
        "department,communication_type,communication_value,ok_to_communicate\n"
        f"{department.uuid},EMAIL,{asked},false\n",
    )
    assert "rejected 0" in run_import("import_optouts", path)
    assert CommunicationStatus.objects.get().communication_value == customer.email_key


def import_optins(tmp_path, customer, asked, department):
    preference = PreferenceFactory(organisation=customer.organisation)
    path = write_file(
        tmp_path, "i.csv", f"customer,preference_id,opted_in\n{asked},{preference.pk},true\n"
    )
    assert "rejected 0" in run_import("import_optins", path)
    assert PreferenceOptIn.objects.get().customer_id == customer.pk


def import_email_logs(tmp_path, customer, asked, department):
    path = write_file(tmp_path, "l.csv", f"email,created,status\n{asked},1577836800,sent\n")
    assert "rejected 0" in run_import("import_email_logs", path)
    assert EmailLog.objects.get().customer_id == customer.pk


IMPORTS = [import_customers, import_suppressions, import_optouts, import_optins, import_email_logs]


@pytest.mark.parametrize("command", IMPORTS, ids=lambda command: command.__name__)
@pytest.mark.parametrize(("stored", "asked"), SPELLINGS)
def test_every_import_finds_the_address_in_any_spelling(
    tmp_path, organisation, department, command, stored, asked
):
    customer = CustomerFactory(organisation=organisation, email=stored)
    command(tmp_path, customer, asked, department)


@pytest.mark.parametrize("address", INVALID)
def test_every_import_refuses_the_same_invalid_addresses(
    tmp_path, organisation, department, address
):
    preference = PreferenceFactory(organisation=organisation)
    files = {
        "import_customers": {"email": address},
        "import_suppressions": {"email": address},
        "import_optouts": {
            "department": department.uuid,
            "communication_type": "EMAIL",
            "communication_value": address,
            "ok_to_communicate": "false",
        },
        "import_optins": {"customer": address, "preference_id": preference.pk, "opted_in": "1"},
        "import_email_logs": {"email": address, "created": "1577836800"},
    }
    with assert_nothing_changed():
        for command, row in files.items():
            text = StringIO()
            writer = csv.DictWriter(text, fieldnames=list(row))
            writer.writeheader()
            writer.writerow(row)
            output = run_import(command, write_file(tmp_path, f"{command}.csv", text.getvalue()))
            assert "rejected 1" in output, command


# The admin's customer form -----------------------------------------------------------------------
def _admin_edit_email(organisation, email):
    from django.urls import reverse

    from conftest import logged_in, staff_user_of
    from customers.tests.test_admin import _inline_prefixes

    client = logged_in(staff_user_of(organisation, "customers"))
    customer = CustomerFactory(organisation=organisation, email="before@example.com")
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {**{k: v for k, v in form.initial.items() if v is not None}, "email": email}
    data["data_fields"] = data["initial-data_fields"] = "{}"
    for prefix in _inline_prefixes(page):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(url, data)
    customer.refresh_from_db()
    return response, customer


@pytest.mark.parametrize(("stored", "asked"), SPELLINGS)
def test_the_admin_form_accepts_the_same_addresses(organisation, stored, asked):
    response, customer = _admin_edit_email(organisation, stored)
    assert response.status_code == 302
    assert customer.email_key == normalise_email(asked)


@pytest.mark.parametrize("address", INVALID)
def test_the_admin_form_refuses_the_same_invalid_addresses(organisation, address):
    response, customer = _admin_edit_email(organisation, address)
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert customer.email == "before@example.com"
