"""POST and GET /consent/v1/decisions: every reason, every recipient form, order, tenancy."""

import uuid

import pytest

from customers.ledger import Provenance
from customers.models import ConsentEvent, Customer
from customers.services import customer_erase
from customers.tests.factories import CustomerFactory
from optout.tests.factories import CommunicationStatusFactory, DepartmentFactory
from preferences.tests.factories import CategoryFactory, PreferenceFactory, PreferenceOptInFactory
from subscriptions.models import ChannelSubscription, Suppression
from subscriptions.tests.factories import ChannelSubscriptionFactory, SuppressionFactory

URL = "/consent/v1/decisions"


@pytest.fixture
def ada(organisation):
    return CustomerFactory(
        organisation=organisation,
        email="Ada@Example.org",
        phone="+447911123456",
        correlation_id="crm-7",
    )


def ask(client, recipients, **question):
    response = client.post(
        URL, {"channel": "email", **question, "recipients": recipients}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["results"]


def codes(result):
    return [reason["code"] for reason in result["reasons"]]


def test_a_known_customer_with_nothing_against_is_allowed(rw_client, ada):
    [result] = ask(rw_client, [{"email": "ada@example.org"}])
    assert result == {
        "recipient": {"email": "ada@example.org"},
        "customerId": str(ada.uuid),
        "allowed": True,
        "reasons": [],
    }


@pytest.mark.parametrize(
    "recipient",
    [
        {"email": "ADA@example.org"},
        {"phone": "+447911123456"},
        {"customerId": "CUSTOMER"},
        {"contactId": "CONTACT"},
        {"correlationId": "crm-7"},
    ],
    ids=["email", "phone", "customerId", "contactId", "correlationId"],
)
def test_every_recipient_form_finds_the_customer(rw_client, ada, recipient):
    ((kind, value),) = recipient.items()
    value = {"CUSTOMER": str(ada.uuid), "CONTACT": ada.pk}.get(value, value)
    [result] = ask(rw_client, [{kind: value}])
    assert result["customerId"] == str(ada.uuid)
    assert result["recipient"] == {kind: value}
    assert result["allowed"] is True


def test_a_phone_number_in_the_organisations_national_format_is_found(rw_client, ada):
    ada.organisation.phone_region = "GB"
    ada.organisation.save()
    [result] = ask(rw_client, [{"phone": "07911 123456"}], channel="sms")
    assert result["customerId"] == str(ada.uuid)
    assert result["allowed"] is True


def test_an_unknown_recipient_is_not_allowed(rw_client, organisation):
    [result] = ask(rw_client, [{"email": "nobody@example.org"}])
    assert result["customerId"] is None
    assert result["allowed"] is False
    assert codes(result) == ["UNKNOWN_RECIPIENT"]


def test_an_erased_customer_is_unknown(rw_client, ada):
    customer_erase(customer=ada, provenance=Provenance(source="system"))
    [result] = ask(rw_client, [{"customerId": str(ada.uuid)}])
    assert codes(result) == ["UNKNOWN_RECIPIENT"]


def test_a_customer_without_an_email_has_no_address(rw_client, organisation):
    customer = CustomerFactory(organisation=organisation, email=None, phone="+14155550100")
    [result] = ask(rw_client, [{"customerId": str(customer.uuid)}])
    assert result["reasons"] == [
        {"code": "NO_ADDRESS", "detail": "The customer has no email address."}
    ]


def test_a_customer_without_a_phone_has_no_address_for_sms(rw_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    [result] = ask(rw_client, [{"customerId": str(customer.uuid)}], channel="sms")
    assert codes(result) == ["NO_ADDRESS"]


def test_a_suppressed_address_says_its_reason(rw_client, ada):
    SuppressionFactory(organisation=ada.organisation, email="ada@example.org", reason="HardBounced")
    [result] = ask(rw_client, [{"contactId": ada.pk}])
    assert result["reasons"] == [{"code": "SUPPRESSED", "detail": "HardBounced"}]


def test_an_unknown_address_that_is_suppressed_says_so(rw_client, organisation):
    SuppressionFactory(organisation=organisation, email="gone@example.org")
    [result] = ask(rw_client, [{"email": "GONE@example.org"}])
    assert result["reasons"] == [
        {"code": "UNKNOWN_RECIPIENT", "detail": "No customer of the organisation matches."},
        {"code": "SUPPRESSED", "detail": "Unsubscribed"},
    ]


def test_an_erased_address_that_was_suppressed_says_so(rw_client, ada):
    SuppressionFactory(organisation=ada.organisation, email="ada@example.org")
    customer_erase(customer=ada, provenance=Provenance(source="system"))
    assert Suppression.objects.get().email is None
    [result] = ask(rw_client, [{"email": "ada@example.org"}])
    assert codes(result) == ["UNKNOWN_RECIPIENT", "SUPPRESSED"]


def test_suppression_does_not_block_sms(rw_client, ada):
    SuppressionFactory(organisation=ada.organisation, email="ada@example.org")
    [result] = ask(rw_client, [{"email": "ada@example.org"}], channel="sms")
    assert result["allowed"] is True


def test_a_named_preference_needs_an_opt_in(rw_client, ada):
    preference = PreferenceFactory(organisation=ada.organisation)
    other = CustomerFactory(organisation=ada.organisation)
    PreferenceOptInFactory(preference=preference, customer=ada)
    PreferenceOptInFactory(preference=preference, customer=other, opted_in=False)
    results = ask(
        rw_client,
        [{"contactId": ada.pk}, {"contactId": other.pk}],
        preference=preference.pk,
    )
    assert [r["allowed"] for r in results] == [True, False]
    assert results[1]["reasons"] == [{"code": "NOT_OPTED_IN", "detail": str(preference.pk)}]


def test_a_named_programme_opted_out_blocks(rw_client, ada):
    ChannelSubscriptionFactory(customer=ada, status=ChannelSubscription.Status.OPT_OUT)
    [named] = ask(rw_client, [{"contactId": ada.pk}], programme="LOYALTY")
    [unnamed] = ask(rw_client, [{"contactId": ada.pk}])
    assert named["reasons"] == [{"code": "PROGRAMME_OPTED_OUT", "detail": "LOYALTY"}]
    assert unnamed["allowed"] is True


def test_an_sms_stop_in_any_department_blocks_when_none_is_named(rw_client, ada):
    shop = DepartmentFactory(organisation=ada.organisation)
    CommunicationStatusFactory(
        department=shop,
        communication_type="SMS",
        communication_value="+447911123456",
        ok_to_communicate=False,
    )
    [result] = ask(rw_client, [{"correlationId": "crm-7"}], channel="sms")
    assert result["reasons"] == [{"code": "OPTED_OUT", "detail": str(shop.uuid)}]


def test_with_a_department_named_only_its_statuses_count(rw_client, ada):
    shop, club = DepartmentFactory.create_batch(2, organisation=ada.organisation)
    CommunicationStatusFactory(
        department=shop,
        communication_type="SMS",
        communication_value="+447911123456",
        ok_to_communicate=False,
    )
    [in_club] = ask(rw_client, [{"contactId": ada.pk}], channel="sms", department=str(club.uuid))
    [in_shop] = ask(rw_client, [{"contactId": ada.pk}], channel="sms", department=str(shop.uuid))
    assert in_club["allowed"] is True
    assert codes(in_shop) == ["OPTED_OUT"]


def test_an_email_opt_out_status_blocks_email(rw_client, ada):
    CommunicationStatusFactory(
        department=DepartmentFactory(organisation=ada.organisation),
        communication_value="ada@example.org",
        ok_to_communicate=False,
    )
    [result] = ask(rw_client, [{"email": "ada@example.org"}])
    assert codes(result) == ["OPTED_OUT"]


def test_another_organisations_opt_out_status_does_not_count(rw_client, ada, other_organisation):
    CommunicationStatusFactory(
        department=DepartmentFactory(organisation=other_organisation),
        communication_type="SMS",
        communication_value="+447911123456",
        ok_to_communicate=False,
    )
    [result] = ask(rw_client, [{"phone": "+447911123456"}], channel="sms")
    assert result["allowed"] is True


def test_an_erased_customers_sms_stop_still_blocks_the_number(rw_client, ada):
    CommunicationStatusFactory(
        department=DepartmentFactory(organisation=ada.organisation),
        communication_type="SMS",
        communication_value="+447911123456",
        customer=ada,
        ok_to_communicate=False,
    )
    customer_erase(customer=ada, provenance=Provenance(source="system"))
    [result] = ask(rw_client, [{"phone": "+447911123456"}], channel="sms")
    assert codes(result) == ["UNKNOWN_RECIPIENT", "OPTED_OUT"]


def test_every_blocking_reason_is_listed(rw_client, ada):
    preference = PreferenceFactory(organisation=ada.organisation)
    SuppressionFactory(organisation=ada.organisation, email="ada@example.org")
    ChannelSubscriptionFactory(customer=ada, status=ChannelSubscription.Status.OPT_OUT)
    CommunicationStatusFactory(
        department=DepartmentFactory(organisation=ada.organisation),
        communication_value="ada@example.org",
        ok_to_communicate=False,
    )
    [result] = ask(
        rw_client, [{"contactId": ada.pk}], preference=preference.pk, programme="LOYALTY"
    )
    assert result["allowed"] is False
    assert codes(result) == ["SUPPRESSED", "NOT_OPTED_IN", "PROGRAMME_OPTED_OUT", "OPTED_OUT"]


def test_results_come_in_request_order(rw_client, organisation):
    customers = CustomerFactory.create_batch(3, organisation=organisation)
    recipients = [
        {"email": customers[2].email},
        {"email": "nobody@example.org"},
        {"contactId": customers[0].pk},
        {"customerId": str(customers[1].uuid)},
        {"email": customers[2].email},
    ]
    results = ask(rw_client, recipients)
    assert [r["recipient"] for r in results] == recipients
    assert [r["customerId"] for r in results] == [
        str(customers[2].uuid),
        None,
        str(customers[0].uuid),
        str(customers[1].uuid),
        str(customers[2].uuid),
    ]


def test_links_are_given_to_allowed_email_recipients(rw_client, ada, settings):
    settings.SITE_URL = "https://consent.example.com"
    results = ask(rw_client, [{"contactId": ada.pk}, {"email": "x@example.org"}], links=True)
    links = results[0]["links"]
    assert links["unsubscribeUrl"].startswith("https://consent.example.com/pages/unsubscribe/")
    assert links["headers"] == {
        "List-Unsubscribe": f"<{links['unsubscribeUrl']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert results[1]["links"] is None


def test_without_links_asked_there_are_none(rw_client, ada):
    [result] = ask(rw_client, [{"contactId": ada.pk}])
    assert "links" not in result


def test_a_read_only_user_may_ask(ro_client, ada):
    [result] = ask(ro_client, [{"contactId": ada.pk}])
    assert result["allowed"] is True


def test_asking_needs_credentials(anon_client):
    response = anon_client.post(
        URL, {"channel": "email", "recipients": [{"email": "a@x.org"}]}, format="json"
    )
    assert response.status_code == 401


def test_asking_changes_nothing(rw_client, ada):
    ask(rw_client, [{"email": "ada@example.org"}, {"email": "new@example.org"}])
    assert Customer.objects.count() == 1
    assert not ConsentEvent.objects.exists()


# Tenancy ----------------------------------------------------------------------------------------
def test_another_organisations_customers_are_unknown(other_client, ada):
    results = ask(
        other_client,
        [
            {"email": "ada@example.org"},
            {"customerId": str(ada.uuid)},
            {"contactId": ada.pk},
            {"correlationId": "crm-7"},
            {"phone": "+447911123456"},
        ],
    )
    assert all(codes(r) == ["UNKNOWN_RECIPIENT"] for r in results)
    assert all(r["customerId"] is None for r in results)


def test_another_organisations_suppression_does_not_leak(other_client, ada):
    SuppressionFactory(organisation=ada.organisation, email="ada@example.org")
    [result] = ask(other_client, [{"email": "ada@example.org"}])
    assert codes(result) == ["UNKNOWN_RECIPIENT"]


def test_another_organisations_preference_is_not_found(other_client, ada):
    preference = PreferenceFactory(organisation=ada.organisation)
    response = other_client.post(
        URL,
        {"channel": "email", "preference": preference.pk, "recipients": [{"email": "a@x.org"}]},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_another_organisations_department_is_not_found(other_client, ada):
    department = DepartmentFactory(organisation=ada.organisation)
    response = other_client.post(
        URL,
        {
            "channel": "sms",
            "department": str(department.uuid),
            "recipients": [{"phone": "+447911123456"}],
        },
        format="json",
    )
    assert response.status_code == 404


# Hostile input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "non_field_errors"),
        ({"recipients": [{"email": "a@x.org"}]}, "channel"),
        ({"channel": "fax", "recipients": [{"email": "a@x.org"}]}, "channel"),
        ({"channel": "email"}, "recipients"),
        ({"channel": "email", "recipients": []}, "recipients"),
        ({"channel": "email", "recipients": {"email": "a@x.org"}}, "recipients"),
        (
            {"channel": "email", "recipients": [{"email": "a@x.org"}], "preference": "12"},
            "preference",
        ),
        (
            {"channel": "email", "recipients": [{"email": "a@x.org"}], "preference": True},
            "preference",
        ),
        (
            {"channel": "email", "recipients": [{"email": "a@x.org"}], "programme": "default"},
            "programme",
        ),
        (
            {"channel": "email", "recipients": [{"email": "a@x.org"}], "department": "nope"},
            "department",
        ),
        ({"channel": "email", "recipients": [{"email": "a@x.org"}], "links": "yes"}, "links"),
        ({"channel": "email", "recipients": [{"email": "a@x.org"}], "colour": 1}, "colour"),
    ],
    ids=[
        "not-an-object",
        "no-channel",
        "bad-channel",
        "no-recipients",
        "empty-recipients",
        "recipients-not-a-list",
        "preference-string",
        "preference-bool",
        "programme-of-the-other-channel",
        "department-not-a-uuid",
        "links-not-a-bool",
        "unknown-field",
    ],
)
def test_an_invalid_question_is_a_400_naming_the_field(rw_client, organisation, body, field):
    response = rw_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    "recipient",
    [
        {"email": "not-an-email"},
        {"email": 42},
        {"phone": "12"},
        {"phone": 447700900123},
        {"customerId": "not-a-uuid"},
        {"customerId": 7},
        {"contactId": "42"},
        {"contactId": 0},
        {"contactId": True},
        {"contactId": 2**64},
        {"correlationId": ""},
        {"correlationId": "x" * 129},
        {"fax": "+447911123456"},
        {"email": "a@x.org", "phone": "+447911123456"},
        {},
        "a@x.org",
        None,
    ],
    ids=[
        "bad-email",
        "email-number",
        "bad-phone",
        "phone-number",
        "bad-uuid",
        "uuid-number",
        "contact-id-string",
        "contact-id-zero",
        "contact-id-bool",
        "contact-id-huge",
        "correlation-id-empty",
        "correlation-id-long",
        "unknown-form",
        "two-forms",
        "no-form",
        "a-string",
        "null",
    ],
)
def test_an_invalid_recipient_is_a_400_naming_its_index(rw_client, organisation, recipient):
    recipients = [{"email": "a@x.org"}, {"email": "b@x.org"}, recipient]
    response = rw_client.post(URL, {"channel": "email", "recipients": recipients}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["recipients[2]"]
    assert response.json()["message"].startswith("recipients[2]: ")


def test_more_than_10000_recipients_is_a_400(rw_client, organisation):
    recipients = [{"contactId": n} for n in range(1, 10_002)]
    response = rw_client.post(URL, {"channel": "email", "recipients": recipients}, format="json")
    assert response.status_code == 400
    assert "recipients" in response.json()["errors"]


def test_malformed_json_is_a_400(rw_client, organisation):
    response = rw_client.post(URL, b'{"channel": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"


def test_a_category_is_not_a_preference_to_ask_about(rw_client, organisation):
    category = CategoryFactory(organisation=organisation)
    response = rw_client.post(
        URL,
        {"channel": "email", "preference": category.pk, "recipients": [{"email": "a@x.org"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "preference" in response.json()["errors"]


def test_an_unknown_preference_is_a_404(rw_client, organisation):
    response = rw_client.post(
        URL,
        {"channel": "email", "preference": 999_999, "recipients": [{"email": "a@x.org"}]},
        format="json",
    )
    assert response.status_code == 404


def test_an_unknown_department_is_a_404(rw_client, organisation):
    response = rw_client.post(
        URL,
        {"channel": "sms", "department": str(uuid.UUID(int=7)), "recipients": [{"contactId": 1}]},
        format="json",
    )
    assert response.status_code == 404


# GET --------------------------------------------------------------------------------------------
def test_get_answers_one_result(ro_client, ada):
    SuppressionFactory(organisation=ada.organisation, email="ada@example.org")
    response = ro_client.get(URL, {"channel": "email", "email": "ada@example.org"})
    assert response.status_code == 200
    assert response.json() == {
        "recipient": {"email": "ada@example.org"},
        "customerId": str(ada.uuid),
        "allowed": False,
        "reasons": [{"code": "SUPPRESSED", "detail": "Unsubscribed"}],
    }


def test_get_takes_a_contact_id_preference_programme_and_department(rw_client, ada):
    preference = PreferenceFactory(organisation=ada.organisation)
    department = DepartmentFactory(organisation=ada.organisation)
    response = rw_client.get(
        URL,
        {
            "channel": "sms",
            "contactId": str(ada.pk),
            "preference": str(preference.pk),
            "programme": "default",
            "department": str(department.uuid),
        },
    )
    assert response.status_code == 200
    assert codes(response.json()) == ["NOT_OPTED_IN"]


@pytest.mark.parametrize(
    "params",
    [
        {"channel": "email"},
        {"channel": "email", "email": "a@x.org", "phone": "+447911123456"},
        {"channel": "email", "email": "nope"},
        {"channel": "email", "contactId": "x"},
        {"channel": "email", "email": "a@x.org", "preference": "x"},
        {"email": "a@x.org"},
    ],
    ids=[
        "no-recipient",
        "two-recipients",
        "bad-email",
        "bad-contact-id",
        "bad-preference",
        "no-channel",
    ],
)
def test_get_with_an_invalid_question_is_a_400(rw_client, organisation, params):
    response = rw_client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"


def test_get_names_the_invalid_parameter(rw_client, organisation):
    response = rw_client.get(URL, {"channel": "email", "email": "nope"})
    assert list(response.json()["errors"]) == ["email"]


def test_get_does_not_find_another_organisations_customer(other_client, ada):
    response = other_client.get(URL, {"channel": "email", "customerId": str(ada.uuid)})
    assert response.status_code == 200
    assert response.json()["customerId"] is None
    assert codes(response.json()) == ["UNKNOWN_RECIPIENT"]


def test_identifiers_with_quotes_backslashes_and_braces_are_found(rw_client, organisation):
    awkward = 'crm "7" \\ {a,b} ü NULL'
    customer = CustomerFactory(organisation=organisation, correlation_id=awkward)
    [result] = ask(rw_client, [{"correlationId": awkward}])
    assert result["customerId"] == str(customer.uuid)
