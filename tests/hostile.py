"""Shared pieces of the hostile-input tests: real identifiers, each dialect's error shape, and a
fingerprint of everything a request could change."""

from customers.models import ConsentEvent, Customer
from optout.models import CommunicationStatus
from preferences.models import Preference, PreferenceOptIn
from subscriptions.models import ChannelSubscription, Suppression

ERROR_KEYS = {
    "customers": {"success", "status"},
    "marketing-preferences": {"message"},
    "loyalty": {"statusCode", "errorMessage", "errorCode"},
    "v2": {"message", "errorCode"},
    "optout": {"errors", "warnings"},
    "service": {"code", "message"},
}


def assert_dialect_error(response, dialect: str, status: int | tuple[int, ...]):
    """The response is `status`, JSON, in the named dialect's error envelope."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert ERROR_KEYS[dialect] <= set(body), body
    if dialect == "customers":
        assert body["success"] is False
    if dialect == "optout":
        assert body["errors"] and body["errors"][0]["errorCode"]
    return body


def fingerprint() -> dict:
    """Row counts and newest changes of every table a request could write."""
    models = [
        Customer,
        ConsentEvent,
        Preference,
        PreferenceOptIn,
        Suppression,
        ChannelSubscription,
        CommunicationStatus,
    ]
    state = {model.__name__: model.objects.count() for model in models}
    state["customers_updated"] = list(Customer.objects.values_list("pk", "updated_at"))
    state["opt_ins"] = list(PreferenceOptIn.objects.values_list("pk", "opted_in"))
    return state


def json_body_routes(world) -> list[tuple[str, str, str]]:
    """(method, path, dialect) of every route that reads a JSON body, with real identifiers.

    (The marketing preferences PUT takes no body: its path says everything.)
    """
    customer, preference = world["customer"], world["preference"]
    department = world["department"]
    return [
        ("POST", "/customers", "customers"),
        ("PUT", "/client/users/crm-1/profile/marketing-subscription", "loyalty"),
        ("POST", "/v2/preferences", "v2"),
        ("PUT", f"/v2/preferences/{preference.pk}", "v2"),
        ("PUT", f"/v2/contacts/{customer.pk}/preferences", "v2"),
        ("POST", "/v2/contacts/unsubscribe", "v2"),
        ("PUT", "/v2/contacts/suppress-contacts", "v2"),
        ("POST", "/v2/contacts/resubscribe", "v2"),
        ("POST", "/v2/contacts/resubscribe-with-no-challenge", "v2"),
        ("POST", f"/communications/department/{department.uuid}/optoutstatus", "optout"),
    ]
