"""The request shapes the vendor's v2 clients send, and how they read our errors.

Its Python client (Mr-F/dotmailer) is Python 2 only, so these tests send what its clients send
instead of running one:
- PascalCase bodies (`{"Email": …}`, `{"UnsubscribedContact": {"Email": …}}`) as the older
  .NET-style clients serialise their objects; every v2 key binds whatever its case.
- the singular `/v2/contact/{id or email}/preferences` paths of the vendor's documentation
  (operations ApiPreference_GetPreferencesForContact2/4 and SetPreferencesForContact2/4).
- the error-to-exception mapping of Mr-F/dotmailer `dotmailer/connection.py`
  (`DotMailerConnection._do_request`): on a non-2xx answer other than 401 it takes
  `response.json()["message"]`, strips a leading "Error: ", keeps the text after the first ".",
  and turns `ERROR_CONTACT_NOT_FOUND` into the class name `ErrorContactNotFound` of
  `dotmailer/exceptions.py`.
"""

import pytest

from customers.models import ConsentEvent, Customer
from preferences.models import PreferenceOptIn
from preferences.tests.factories import PreferenceFactory
from subscriptions.models import Suppression

pytestmark = pytest.mark.django_db


def dotmailer_exception_class_name(response) -> str:
    """What Mr-F/dotmailer's connection.py `_do_request` raises for an error answer."""
    if response.status_code == 401:
        return "ErrorAccountInvalid"
    message = response.json()["message"]
    if message.startswith("Error: "):
        message = message[7:]
    return message[message.find(".") + 1 :].strip().title().replace("_", "")


@pytest.fixture
def preference(organisation):
    return PreferenceFactory(organisation=organisation, category=None, public_name="Weekly")


# PascalCase bodies ------------------------------------------------------------------------------
def test_unsubscribe_takes_a_pascal_case_email(rw_client, customer):
    response = rw_client.post("/v2/contacts/unsubscribe", {"Email": customer.email}, format="json")
    assert response.status_code == 200
    assert Suppression.objects.get().reason == "Unsubscribed"


def test_resubscribe_with_no_challenge_takes_pascal_case_at_every_depth(rw_client, customer):
    rw_client.post("/v2/contacts/unsubscribe", {"email": customer.email}, format="json")
    body = {
        "UnsubscribedContact": {
            "Email": "JOHN.SMITH@emailsim.io",
            "DataFields": [{"Key": "FIRSTNAME", "Value": "John"}],
        }
    }
    response = rw_client.post("/v2/contacts/resubscribe-with-no-challenge", body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "ContactAdded"
    customer.refresh_from_db()
    assert customer.data_fields == {"FIRSTNAME": "John"}


def test_suppress_contacts_takes_pascal_case_items(rw_client, customer):
    body = [{"Id": customer.pk}, {"EMAIL": "nobody@example.com"}]
    response = rw_client.put("/v2/contacts/suppress-contacts", body, format="json")
    assert response.status_code == 200
    assert response.json()["suppressed"] == [{"id": customer.pk, "email": None}]
    assert response.json()["notFound"] == [{"id": 0, "email": "nobody@example.com"}]


def test_preference_create_takes_pascal_case(rw_client, organisation):
    body = {"PublicName": "News", "PrivateName": "news", "IsPreference": True, "IsPublic": True}
    response = rw_client.post("/v2/preferences", body, format="json")
    assert response.status_code == 200
    assert response.json()["publicName"] == "News"


def test_contact_create_takes_pascal_case(rw_client, organisation):
    body = {"Email": "new@example.com", "OptInType": "Single", "EmailType": "Html"}
    assert rw_client.post("/v2/contacts", body, format="json").status_code == 201
    assert Customer.objects.get(email="new@example.com").opt_in_type == "Single"


def test_a_pascal_case_body_with_a_bad_value_changes_nothing(rw_client, customer):
    response = rw_client.post("/v2/contacts/unsubscribe", {"Email": "nope"}, format="json")
    assert response.status_code == 400
    assert not Suppression.objects.exists() and not ConsentEvent.objects.exists()


# Singular /v2/contact/… paths -------------------------------------------------------------------
@pytest.mark.parametrize("identifier", ["{pk}", "JOHN.SMITH@emailsim.io"])
def test_the_singular_preferences_path_reads_and_writes(
    rw_client, customer, preference, identifier
):
    url = f"/v2/contact/{identifier.format(pk=customer.pk)}/preferences"
    put = rw_client.put(
        url, [{"Id": preference.pk, "IsPreference": True, "IsOptedIn": True}], format="json"
    )
    assert (put.status_code, put.json()) == (200, {"value": ""})
    assert PreferenceOptIn.objects.get(customer=customer, preference=preference).opted_in
    got = rw_client.get(url)
    assert got.status_code == 200
    assert got.json() == rw_client.get(f"/v2/contacts/{customer.pk}/preferences").json()
    assert got.json()[0]["isOptedIn"] is True


def test_the_singular_path_of_another_organisations_contact_is_404(other_client, customer):
    response = other_client.get(f"/v2/contact/{customer.pk}/preferences")
    assert response.status_code == 404
    assert dotmailer_exception_class_name(response) == "ErrorContactNotFound"


def test_the_singular_path_reads_in_constant_queries(
    rw_client, customer, preference, django_assert_max_num_queries
):
    rw_client.get(f"/v2/contact/{customer.pk}/preferences")  # warm the remembered credentials
    # 1 API user, 2 contact, 3 the preference tree, 4 the contact's states
    with django_assert_max_num_queries(4):
        assert rw_client.get(f"/v2/contact/{customer.pk}/preferences").status_code == 200


# Errors as the clients read them -----------------------------------------------------------------
@pytest.mark.parametrize(
    "method, url, body, exception",
    [
        ("get", "/v2/contacts/999999", None, "ErrorContactNotFound"),
        ("get", "/v2/contact/nobody@example.com/preferences", None, "ErrorContactNotFound"),
        ("get", "/v2/contacts/nobody@example.com/subscriptions", None, "ErrorContactNotFound"),
        ("post", "/v2/contacts", {"Email": "nope"}, "ErrorParameterInvalid"),
        ("put", "/v2/contacts/suppress-contacts", {"not": "a list"}, "ErrorParameterInvalid"),
    ],
)
def test_errors_map_to_the_clients_exception_classes(
    rw_client, customer, method, url, body, exception
):
    response = getattr(rw_client, method)(url, body, format="json")
    assert response.status_code >= 400
    assert response.json()["message"].endswith(" " + response.json()["errorCode"])
    assert dotmailer_exception_class_name(response) == exception


def test_a_read_only_user_gets_the_vendors_forbidden_code(ro_client, customer):
    response = ro_client.post("/v2/contacts/unsubscribe", {"email": customer.email}, format="json")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "ERROR_CANNOT_PERFORM_OPERATION_ON_ACCOUNT"
