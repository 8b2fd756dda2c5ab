"""PUT /client/users/{correlation_id}/profile/marketing-subscription (seed 001)."""

import pytest

from conftest import assert_nothing_changed
from customers.ledger import Provenance
from customers.models import ConsentEvent
from customers.services import customer_erase
from customers.tests.factories import CustomerFactory
from subscriptions.models import ChannelSubscription
from subscriptions.tests.factories import ChannelSubscriptionFactory, email_status

pytestmark = pytest.mark.django_db

URL = "/client/users/member-1/profile/marketing-subscription"
SEED_BODY = {"email": {"preference": "OPT_IN"}, "sms": {"preference": "OPT_OUT"}}


def states(customer):
    return dict(
        ChannelSubscription.objects.filter(customer=customer).values_list("programme", "status")
    )


def test_the_seed_example_sets_both_channels(rw_client, customer):
    response = rw_client.put(URL, SEED_BODY, format="json")
    assert response.status_code == 200
    assert response.json() == {"message": "Marketing subscription status updated."}
    assert states(customer) == {"LOYALTY": "OPT_IN", "default": "OPT_OUT"}
    events = ConsentEvent.objects.filter(kind="channel.subscription").order_by("target")
    assert [(e.target, e.old_value, e.new_value) for e in events] == [
        ("email:LOYALTY", None, "OPT_IN"),
        ("sms:default", None, "OPT_OUT"),
    ]


def test_one_channel_alone_leaves_the_other(rw_client, customer):
    ChannelSubscriptionFactory(customer=customer, channel="sms", programme="default")
    rw_client.put(URL, {"email": {"preference": "OPT_OUT"}}, format="json")
    assert states(customer) == {"LOYALTY": "OPT_OUT", "default": "OPT_IN"}


def test_a_repeat_changes_nothing_and_writes_no_event(rw_client, customer):
    rw_client.put(URL, SEED_BODY, format="json")
    assert rw_client.put(URL, SEED_BODY, format="json").status_code == 200
    assert ConsentEvent.objects.filter(kind="channel.subscription").count() == 2


def test_an_email_opt_out_does_not_change_the_v2_status(rw_client, customer):
    rw_client.put(URL, {"email": {"preference": "OPT_OUT"}}, format="json")
    assert email_status(customer) == "Subscribed"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"push": {"preference": "OPT_IN"}, "email": {"preference": "bad"}},
            "Invalid communication channel present in the request: push.",
        ),
        ({}, "Either Email or SMS Preference is required."),
        (
            {"email": {}, "sms": {"preference": "bad"}},
            "Preference for email is not sent in the request.",
        ),
        (
            {"email": {"preference": "opt_in"}, "sms": {}},
            "Invalid preference option sent for email.",
        ),
        (
            {"email": {"preference": "OPT_IN"}, "sms": {"other": 1}},
            "Preference for sms is not sent in the request.",
        ),
        ({"sms": {"preference": "OPT-OUT"}}, "Invalid preference option sent for sms."),
    ],
)
def test_each_body_error_has_the_seeds_exact_message(rw_client, customer, body, message):
    with assert_nothing_changed():
        response = rw_client.put(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorMessage": message,
        "errorCode": "INVALID_REQUEST",
    }
    assert not ChannelSubscription.objects.exists()


def test_an_account_without_email_is_400(rw_client, organisation):
    CustomerFactory(organisation=organisation, email=None, phone="+12025550143", correlation_id="p")
    with assert_nothing_changed():
        response = rw_client.put(
            "/client/users/p/profile/marketing-subscription", SEED_BODY, format="json"
        )
    assert response.status_code == 400
    assert response.json()["errorMessage"] == (
        "Account does not have an email for email communication."
    )


def test_an_account_without_phone_is_400_and_the_email_part_is_not_applied(rw_client, organisation):
    customer = CustomerFactory(organisation=organisation, phone=None, correlation_id="np")
    with assert_nothing_changed():
        response = rw_client.put(
            "/client/users/np/profile/marketing-subscription", SEED_BODY, format="json"
        )
    assert response.status_code == 400
    assert response.json()["errorMessage"] == (
        "Account does not have a phone number for sms communication."
    )
    assert states(customer) == {}  # R5: all or nothing


def test_an_invalid_sms_part_leaves_the_email_part_unchanged(rw_client, customer):
    ChannelSubscriptionFactory(customer=customer, status="OPT_IN")
    body = {"email": {"preference": "OPT_OUT"}, "sms": {"preference": "MAYBE"}}
    with assert_nothing_changed():
        assert rw_client.put(URL, body, format="json").status_code == 400
    assert states(customer) == {"LOYALTY": "OPT_IN"}
    assert not ConsentEvent.objects.exists()


def test_an_unknown_correlation_id_is_404(rw_client, organisation):
    response = rw_client.put(
        "/client/users/nobody/profile/marketing-subscription", SEED_BODY, format="json"
    )
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404
    assert response.json()["errorCode"] == "NOT_FOUND"


def test_an_erased_customer_is_404(rw_client, customer):
    customer_erase(customer=customer, provenance=Provenance(source="system"))
    assert rw_client.put(URL, SEED_BODY, format="json").status_code == 404


def test_read_only_users_get_403_in_the_loyalty_shape(ro_client, customer):
    response = ro_client.put(URL, SEED_BODY, format="json")
    assert response.status_code == 403
    assert response.json()["statusCode"] == 403


def test_malformed_json_is_400(rw_client, customer):
    with assert_nothing_changed():
        response = rw_client.put(URL, "{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_REQUEST"
