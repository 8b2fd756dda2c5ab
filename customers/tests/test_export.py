"""Export of everything held on one customer: the registry, the route, the command, the admin."""

import json
import uuid

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone

from customers.exporting import customer_export, exported_models
from customers.ledger import Provenance
from customers.models import Customer
from customers.services import customer_erase
from customers.tests.factories import ConsentEventFactory, CustomerFactory
from emaillogs.tests.factories import EmailLogFactory
from optout.tests.factories import CommunicationStatusFactory, DepartmentFactory
from preferences.tests.factories import PreferenceFactory, PreferenceOptInFactory
from subscriptions.models import ResubscribeChallenge
from subscriptions.tests.factories import ChannelSubscriptionFactory, SuppressionFactory


@pytest.fixture
def ada(organisation):
    return CustomerFactory(
        organisation=organisation, email="ada@example.org", phone="+447911123456"
    )


@pytest.fixture
def everything(ada):
    """One row of every kind of data the service holds on a customer."""
    preference = PreferenceFactory(organisation=ada.organisation, public_name="Newsletter")
    PreferenceOptInFactory(preference=preference, customer=ada)
    SuppressionFactory(organisation=ada.organisation, email="ada@example.org")
    ChannelSubscriptionFactory(customer=ada)
    department = DepartmentFactory(organisation=ada.organisation, name="Shop")
    CommunicationStatusFactory(
        department=department, communication_type="SMS", communication_value="+447911123456"
    )
    ResubscribeChallenge.objects.create(
        organisation=ada.organisation,
        customer=ada,
        email="ada@example.org",
        locale="en",
        expires_at=timezone.now(),
    )
    EmailLogFactory(organisation=ada.organisation, customer=ada, email_name="Spring sale")
    ConsentEventFactory(customer=ada)
    return ada


def test_every_model_holding_customer_data_is_exported():
    """Fails when a model with a foreign key to Customer is not covered by an exporter."""
    holding = {
        model
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey) and field.related_model is Customer
    }
    assert holding, "the walk over the app registry found nothing"
    missing = holding - exported_models()
    assert not missing, f"not in the export: {sorted(m._meta.label for m in missing)}"


def test_the_export_holds_every_section(everything):
    document = customer_export(everything)
    assert list(document) == [
        "profile",
        "emailLogs",
        "preferenceStates",
        "suppression",
        "channelSubscriptions",
        "resubscribeChallenges",
        "optOutStatuses",
        "ledger",
    ]
    assert document["profile"]["email"] == "ada@example.org"
    assert document["preferenceStates"][0]["preference__public_name"] == "Newsletter"
    assert document["suppression"]["reason"] == "Unsubscribed"
    assert document["channelSubscriptions"][0]["programme"] == "LOYALTY"
    assert document["resubscribeChallenges"][0]["email"] == "ada@example.org"
    assert document["optOutStatuses"][0]["departmentName"] == "Shop"
    assert document["emailLogs"][0]["email_name"] == "Spring sale"
    assert [event["kind"] for event in document["ledger"]] == ["preference.opt_in"]


def test_the_ledger_includes_events_of_the_address_before_it_had_a_customer(
    rw_client, organisation
):
    rw_client.post("/v2/contacts/unsubscribe", {"email": "ada@example.org"}, format="json")
    ada = CustomerFactory(organisation=organisation, email="ada@example.org")
    ledger = customer_export(ada)["ledger"]
    assert [(event["kind"], event["new_value"]) for event in ledger] == [
        ("email.suppression", "Unsubscribed")
    ]


def test_the_export_takes_a_constant_number_of_queries(everything, django_assert_num_queries):
    # profile 0, logs, opt-ins, suppression, subscriptions, challenges, statuses, ledger.
    with django_assert_num_queries(7):
        customer_export(everything)


def test_the_route_answers_the_document(ro_client, everything):
    response = ro_client.get(f"/consent/v1/customers/{everything.uuid}/export")
    assert response.status_code == 200
    body = response.json()
    assert body["profile"]["id"] == str(everything.uuid)
    assert body["suppression"]["email"] == "ada@example.org"
    assert len(body["ledger"]) == 1


def test_another_organisations_customer_is_not_found(other_client, everything):
    response = other_client.get(f"/consent/v1/customers/{everything.uuid}/export")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("value", ["not-a-uuid", str(uuid.UUID(int=1))], ids=["bad", "unknown"])
def test_an_unknown_customer_is_not_found(rw_client, organisation, value):
    assert rw_client.get(f"/consent/v1/customers/{value}/export").status_code == 404


def test_an_erased_customer_is_not_found(rw_client, ada):
    customer_erase(customer=ada, provenance=Provenance(source="system"))
    assert rw_client.get(f"/consent/v1/customers/{ada.uuid}/export").status_code == 404


def test_the_export_needs_credentials(anon_client, ada):
    assert anon_client.get(f"/consent/v1/customers/{ada.uuid}/export").status_code == 401


def test_the_command_prints_the_export_by_email(everything, capsys):
    call_command("export_customer", "--organisation", "acme", "--email", "ADA@example.org")
    document = json.loads(capsys.readouterr().out)
    assert document["profile"]["id"] == str(everything.uuid)


def test_the_command_writes_the_export_by_uuid(everything, tmp_path):
    target = tmp_path / "ada.json"
    call_command(
        "export_customer",
        "--organisation",
        "acme",
        "--uuid",
        str(everything.uuid),
        "--output",
        str(target),
    )
    assert json.loads(target.read_text())["emailLogs"][0]["email_name"] == "Spring sale"


@pytest.mark.parametrize(
    "args",
    [
        ["--organisation", "acme", "--email", "nobody@example.org"],
        ["--organisation", "acme", "--uuid", "not-a-uuid"],
        ["--organisation", "nope", "--email", "ada@example.org"],
        ["--organisation", "globex", "--email", "ada@example.org"],
    ],
    ids=["unknown-email", "bad-uuid", "unknown-organisation", "other-organisation"],
)
def test_the_command_refuses_what_it_cannot_find(ada, other_organisation, args):
    with pytest.raises(CommandError):
        call_command("export_customer", *args)


def test_the_admin_action_downloads_the_export(organisation, everything, other_organisation):
    from conftest import logged_in, staff_user_of

    theirs = CustomerFactory(organisation=other_organisation)
    client = logged_in(staff_user_of(organisation, "customers"))
    response = client.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "export_customers", "_selected_action": [everything.pk, theirs.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    documents = json.loads(response.content)
    assert [d["profile"]["id"] for d in documents] == [str(everything.uuid)]
