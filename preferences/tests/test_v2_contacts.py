"""v2 contact operations around seed 002: GET /v2/contacts/{id or email}, POST /v2/contacts,
GET …/with-consent, POST /v2/contacts/with-consent-and-preferences and
PUT /v2/contacts/{id}/with-consent-and-preferences."""

import json

import pytest

from customers.models import ConsentEvent, Customer
from preferences.models import PreferenceOptIn

pytestmark = pytest.mark.django_db

CONSENT = {
    "fields": [
        {"key": "text", "value": "Yes, send me offers."},
        {"key": "dateTimeConsented", "value": "2024-05-01T09:30:00Z"},
        {"key": "url", "value": "https://shop.example.com/signup"},
        {"key": "ipAddress", "value": "203.0.113.7"},
        {"key": "userAgent", "value": "Mozilla/5.0"},
    ]
}
CONSENT_OUT = {
    "fields": [
        {"key": "text", "value": "Yes, send me offers."},
        {"key": "dateTimeConsented", "value": "2024-05-01T09:30:00.000Z"},
        {"key": "url", "value": "https://shop.example.com/signup"},
        {"key": "ipAddress", "value": "203.0.113.7"},
        {"key": "userAgent", "value": "Mozilla/5.0"},
    ]
}


def nothing_changed(organisation):
    return not Customer.objects.filter(email="new@example.com").exists() and not (
        ConsentEvent.objects.exists() or PreferenceOptIn.objects.exists()
    )


# GET /v2/contacts/{id or email} -------------------------------------------------------------------
def test_get_by_id_answers_the_v2_contact(rw_client, customer):
    response = rw_client.get(f"/v2/contacts/{customer.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": customer.pk,
        "email": "ada@example.com",
        "optInType": "Unknown",
        "emailType": "Html",
        "dataFields": None,
        "status": "Subscribed",
    }


def test_get_by_email_in_any_case_answers_the_same_contact(rw_client, customer):
    assert rw_client.get("/v2/contacts/ADA@Example.com").json()["id"] == customer.pk


@pytest.mark.parametrize("identifier", ["{pk}", "ada@example.com"])
def test_get_of_another_organisations_contact_is_404(other_client, customer, identifier):
    response = other_client.get(f"/v2/contacts/{identifier.format(pk=customer.pk)}")
    assert response.status_code == 404
    assert response.json() == {
        "message": "Contact not found. ERROR_CONTACT_NOT_FOUND",
        "errorCode": "ERROR_CONTACT_NOT_FOUND",
    }


@pytest.mark.parametrize("identifier", ["999999", "99999999999999999999999", "x@y.z", "a%00@b.c"])
def test_get_of_an_unknown_contact_is_404(rw_client, customer, identifier):
    assert rw_client.get(f"/v2/contacts/{identifier}").status_code == 404


def test_the_named_operations_beside_it_are_not_shadowed(rw_client):
    response = rw_client.get("/v2/contacts/unsubscribe")
    assert response.status_code == 405  # the unsubscribe operation, which only takes POST


def test_get_uses_a_constant_number_of_queries(rw_client, customer, django_assert_num_queries):
    rw_client.get(f"/v2/contacts/{customer.pk}")  # warm the remembered Basic credentials
    # 1 API user, 2 contact, 3 its suppression status
    with django_assert_num_queries(3):
        assert rw_client.get(f"/v2/contacts/{customer.pk}").status_code == 200


# POST /v2/contacts ------------------------------------------------------------------------------
def test_post_creates_a_contact_with_201(rw_client, organisation):
    body = {
        "email": "new@example.com",
        "optInType": "Double",
        "emailType": "PlainText",
        "dataFields": [{"key": "FIRSTNAME", "value": "Ada"}, {"key": "AGE", "value": 36}],
    }
    response = rw_client.post("/v2/contacts", body, format="json")
    assert response.status_code == 201
    customer = Customer.objects.get(organisation=organisation, email="new@example.com")
    assert response.json() == {
        "id": customer.pk,
        "email": "new@example.com",
        "optInType": "Double",
        "emailType": "PlainText",
        "dataFields": [{"key": "FIRSTNAME", "value": "Ada"}, {"key": "AGE", "value": 36}],
        "status": "Subscribed",
    }
    event = ConsentEvent.objects.get(customer=customer)
    assert event.new_value == ["data_fields", "email", "email_type", "opt_in_type"]


def test_post_updates_the_contact_with_that_email_with_200(rw_client, customer):
    customer.data_fields = {"TOWN": "York"}
    customer.save()
    body = {
        "Email": "ADA@example.com",
        "OptInType": "Single",
        "DataFields": [{"Key": "AGE", "Value": 36}],
    }
    response = rw_client.post("/v2/contacts", body, format="json")
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.opt_in_type == "Single"
    assert customer.data_fields == {"TOWN": "York", "AGE": 36}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "not-an-email"},
        {"email": "new@example.com", "optInType": "NotAvailableInThisVersion"},
        {"email": "new@example.com", "emailType": "Rtf"},
        {"email": "new@example.com", "dataFields": {"FIRSTNAME": "Ada"}},
        {"email": "new@example.com", "dataFields": [{"key": "A", "value": {"nested": 1}}]},
        {"email": "new@example.com", "dataFields": [{"key": "A", "value": "a\x00b"}]},
        {"email": "new@example.com", "dataFields": [{"key": "A\x00", "value": "b"}]},
        {"email": ["new@example.com"]},
        [{"email": "new@example.com"}],
    ],
)
def test_post_with_bad_input_is_400_and_changes_nothing(rw_client, organisation, body):
    response = rw_client.post("/v2/contacts", body, format="json")
    assert response.status_code == 400
    assert response.json()["message"].endswith(" ERROR_PARAMETER_INVALID")
    assert nothing_changed(organisation)


def test_post_with_malformed_json_is_400(rw_client, organisation):
    response = rw_client.generic(
        "POST", "/v2/contacts", '{"email": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert nothing_changed(organisation)


def test_post_with_a_huge_body_is_413_and_changes_nothing(settings, rw_client, organisation):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"email": "new@example.com", "dataFields": [{"key": "A", "value": "a" * 2000}]}
    response = rw_client.post("/v2/contacts", body, format="json")
    assert response.status_code == 413
    assert response.json()["errorCode"] == "ERROR_PAYLOAD_TOO_LARGE"
    assert nothing_changed(organisation)


def test_post_by_a_read_only_user_is_403(ro_client, organisation):
    response = ro_client.post("/v2/contacts", {"email": "new@example.com"}, format="json")
    assert response.status_code == 403
    assert nothing_changed(organisation)


def test_post_uses_a_constant_number_of_queries(
    rw_client, organisation, django_assert_max_num_queries
):
    rw_client.post("/v2/contacts", {"email": "new@example.com"}, format="json")
    body = {
        "email": "new@example.com",
        "optInType": "Single",
        "dataFields": [{"key": f"K{n}", "value": n} for n in range(100)],
    }
    # 1 API user; 2-3 savepoints (service, create_or_update), 4 customer locked by email,
    # 5 update, 6 its ledger event; customer_merge_data_fields: 7 savepoint, 8 lock, 9 update,
    # 10 ledger event; 11-13 releases; 14 the contact's suppression status
    with django_assert_max_num_queries(14):
        assert rw_client.post("/v2/contacts", body, format="json").status_code == 200


# with-consent-and-preferences ---------------------------------------------------------------
def test_post_with_consent_and_preferences_writes_all_three(rw_client, organisation, preference):
    body = {
        "contact": {"email": "new@example.com", "optInType": "Single"},
        "consentFields": [CONSENT],
        "preferences": [{"id": preference.pk, "isPreference": True, "isOptedIn": True}],
    }
    response = rw_client.post("/v2/contacts/with-consent-and-preferences", body, format="json")
    assert response.status_code == 201
    customer = Customer.objects.get(email="new@example.com")
    assert response.json()["contact"]["id"] == customer.pk
    assert response.json()["consentFields"] == [CONSENT_OUT]
    assert response.json()["preferences"] == body["preferences"]
    assert PreferenceOptIn.objects.get(customer=customer, preference=preference).opted_in
    # Every event of the call carries the consent record.
    events = ConsentEvent.objects.filter(customer=customer)
    assert {event.kind for event in events} == {"customer.profile", "preference.opt_in"}
    assert all(event.consent == [CONSENT_FIELDS_STORED] for event in events)


CONSENT_FIELDS_STORED = {
    "text": "Yes, send me offers.",
    "dateTimeConsented": "2024-05-01T09:30:00+00:00",
    "url": "https://shop.example.com/signup",
    "ipAddress": "203.0.113.7",
    "userAgent": "Mozilla/5.0",
}


def test_with_consent_proves_the_consent_record_given(rw_client, organisation, preference):
    body = {
        "Contact": {"Email": "new@example.com"},
        "ConsentFields": [{"Fields": [{"Key": "TEXT", "Value": "Yes, send me offers."}]}],
        "Preferences": [{"Id": preference.pk, "IsPreference": True, "IsOptedIn": True}],
    }
    rw_client.post(
        "/v2/contacts/with-consent-and-preferences", body, format="json", REMOTE_ADDR="198.51.100.1"
    )
    customer = Customer.objects.get(email="new@example.com")
    response = rw_client.get(f"/v2/contacts/{customer.pk}/with-consent")
    assert response.status_code == 200
    [record] = response.json()["consentFields"]
    values = {field["key"]: field["value"] for field in record["fields"]}
    # What the client gave, and what the ledger saw for what it did not give.
    assert values["text"] == "Yes, send me offers."
    assert values["ipAddress"] == "198.51.100.1"
    assert values["dateTimeConsented"].endswith("Z")


def test_with_consent_proves_opt_ins_made_without_a_consent_record(rw_client, customer, preference):
    rw_client.put(
        f"/v2/contacts/{customer.pk}/preferences",
        [{"id": preference.pk, "isPreference": True, "isOptedIn": True}],
        format="json",
        HTTP_USER_AGENT="ShopConnector/1.0",
    )
    response = rw_client.get("/v2/contacts/ada@example.com/with-consent")
    [record] = response.json()["consentFields"]
    values = {field["key"]: field["value"] for field in record["fields"]}
    assert values["userAgent"] == "ShopConnector/1.0"
    assert values["ipAddress"] == "127.0.0.1"


def test_with_consent_of_a_contact_without_consent_is_an_empty_list(rw_client, customer):
    response = rw_client.get(f"/v2/contacts/{customer.pk}/with-consent")
    assert response.json() == {"contact": response.json()["contact"], "consentFields": []}


def test_with_consent_of_another_organisations_contact_is_404(other_client, customer):
    response = other_client.get(f"/v2/contacts/{customer.pk}/with-consent")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "ERROR_CONTACT_NOT_FOUND"


def test_with_consent_uses_a_constant_number_of_queries(
    rw_client, customer, preference, django_assert_num_queries
):
    for state in (True, False, True):
        rw_client.put(
            f"/v2/contacts/{customer.pk}/preferences",
            [{"id": preference.pk, "isPreference": True, "isOptedIn": state}],
            format="json",
        )
    # 1 API user, 2 contact, 3 ledger events, 4 suppression status
    with django_assert_num_queries(4):
        response = rw_client.get(f"/v2/contacts/{customer.pk}/with-consent")
    assert len(response.json()["consentFields"]) == 2


def test_put_with_consent_and_preferences_updates_the_contact(rw_client, customer, preference):
    body = {
        "contact": {"email": "ada@example.com", "emailType": "PlainText"},
        "consentFields": [CONSENT],
        "preferences": [{"id": preference.pk, "isPreference": True, "isOptedIn": True}],
    }
    response = rw_client.put(
        f"/v2/contacts/{customer.pk}/with-consent-and-preferences", body, format="json"
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.email_type == "PlainText"
    assert PreferenceOptIn.objects.get(customer=customer).opted_in


def test_put_with_another_email_is_400_and_changes_nothing(rw_client, customer, preference):
    body = {
        "contact": {"email": "someone.else@example.com"},
        "preferences": [{"id": preference.pk, "isPreference": True, "isOptedIn": True}],
    }
    response = rw_client.put(
        f"/v2/contacts/{customer.pk}/with-consent-and-preferences", body, format="json"
    )
    assert response.status_code == 400
    assert not ConsentEvent.objects.exists() and not PreferenceOptIn.objects.exists()


def test_put_of_another_organisations_contact_is_404(other_client, customer):
    body = {"contact": {"email": "ada@example.com"}}
    response = other_client.put(
        f"/v2/contacts/{customer.pk}/with-consent-and-preferences", body, format="json"
    )
    assert response.status_code == 404


def test_an_unknown_preference_is_404_and_creates_no_contact(rw_client, organisation, preference):
    body = {
        "contact": {"email": "new@example.com"},
        "consentFields": [CONSENT],
        "preferences": [{"id": 999999, "isPreference": True, "isOptedIn": True}],
    }
    response = rw_client.post("/v2/contacts/with-consent-and-preferences", body, format="json")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "ERROR_PREFERENCE_NOT_FOUND"
    assert nothing_changed(organisation)


def test_another_organisations_preference_is_404(rw_client, organisation, foreign_preference):
    body = {
        "contact": {"email": "new@example.com"},
        "preferences": [{"id": foreign_preference.pk, "isPreference": True, "isOptedIn": True}],
    }
    response = rw_client.post("/v2/contacts/with-consent-and-preferences", body, format="json")
    assert response.status_code == 404
    assert nothing_changed(organisation)


@pytest.mark.parametrize(
    "consent",
    [
        {"fields": [{"key": "shoeSize", "value": "9"}]},
        {"fields": [{"key": "ipAddress", "value": "999.1.1.1"}]},
        {"fields": [{"key": "dateTimeConsented", "value": "yesterday"}]},
        {"fields": [{"key": "url", "value": "javascript:alert(1)"}]},
        {"fields": [{"key": "text", "value": "a\x00b"}]},
        {"fields": "text=yes"},
        "yes",
    ],
)
def test_a_bad_consent_record_is_400_and_changes_nothing(rw_client, organisation, consent):
    body = {"contact": {"email": "new@example.com"}, "consentFields": [consent]}
    response = rw_client.post("/v2/contacts/with-consent-and-preferences", body, format="json")
    assert response.status_code == 400
    assert nothing_changed(organisation)


def test_with_consent_and_preferences_by_a_read_only_user_is_403(ro_client, organisation):
    body = {"contact": {"email": "new@example.com"}}
    response = ro_client.post("/v2/contacts/with-consent-and-preferences", body, format="json")
    assert response.status_code == 403
    assert nothing_changed(organisation)


def test_no_success_body_has_a_top_level_message(rw_client, customer, preference):
    bodies = [
        rw_client.get(f"/v2/contacts/{customer.pk}").json(),
        rw_client.get(f"/v2/contacts/{customer.pk}/with-consent").json(),
        rw_client.post("/v2/contacts", {"email": "new@example.com"}, format="json").json(),
        rw_client.post(
            "/v2/contacts/with-consent-and-preferences",
            {"contact": {"email": "new2@example.com"}},
            format="json",
        ).json(),
    ]
    assert all("message" not in body for body in bodies), json.dumps(bodies)


def test_erasure_blanks_the_consent_records_on_the_ledger(rw_client, organisation, preference):
    body = {
        "contact": {"email": "new@example.com"},
        "consentFields": [CONSENT],
        "preferences": [{"id": preference.pk, "isPreference": True, "isOptedIn": True}],
    }
    rw_client.post("/v2/contacts/with-consent-and-preferences", body, format="json")
    assert rw_client.delete("/customers/new@example.com").status_code == 200
    assert not ConsentEvent.objects.filter(consent__isnull=False).exists()


@pytest.mark.parametrize("field", ["preferences", "consentFields"])
def test_a_null_item_in_a_list_is_400_and_changes_nothing(rw_client, organisation, field):
    # Found by schemathesis: `"preferences": [null]` used to be a 500.
    body = {"contact": {"email": "new@example.com"}, field: [None]}
    response = rw_client.post("/v2/contacts/with-consent-and-preferences", body, format="json")
    assert response.status_code == 400
    assert response.json()["message"].endswith(response.json()["errorCode"])
    assert nothing_changed(organisation)
