"""POST and GET /communications/department/{departmentUUID}/optoutstatus (seed 003)."""

import copy
import json
import uuid

import pytest

from customers.models import ConsentEvent
from customers.normalisation import address_key
from customers.tests.factories import CustomerFactory
from optout.models import CommunicationStatus, Event, ProcessedMessage, UpdateType
from optout.tests.factories import CommunicationStatusFactory, DepartmentFactory

pytestmark = pytest.mark.django_db

# The seed's example body, word for word.
SEED_BODY = {
    "customerUUID": "string",
    "messageUUID": "string",
    "userUUID": "string",
    "apiCallSource": "string",
    "communicationAttributesList": [
        {
            "communicationType": "string",
            "communicationValue": "string",
            "okToCommunicate": True,
            "customerUUID": "string",
        }
    ],
    "event": "STOP_MESSAGE_RECEIVED",
    "updateType": "MESSAGE",
    "processSynchronously": True,
}


def url(department):
    department_uuid = getattr(department, "uuid", department)
    return f"/communications/department/{department_uuid}/optoutstatus"


def post(client, department, body):
    return client.post(url(department), body, format="json")


def body(*items, **fields):
    """A valid request body with the given items (default: one SMS STOP)."""
    items = items or (sms("(202) 555-0143", False),)
    return {
        "communicationAttributesList": list(items),
        "event": "STOP_MESSAGE_RECEIVED",
        "updateType": "MESSAGE",
        **fields,
    }


def sms(value, ok, **extra):
    return {"communicationType": "SMS", "communicationValue": value, "okToCommunicate": ok, **extra}


def email(value, ok, **extra):
    return {
        "communicationType": "EMAIL",
        "communicationValue": value,
        "okToCommunicate": ok,
        **extra,
    }


def assert_invalid(response, *fragments):
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["warnings"] == []
    assert data["errors"]
    for error in data["errors"]:
        assert set(error) == {"errorCode", "errorDescription", "errorUID"}
        assert error["errorCode"] == "INVALID_REQUEST"
    descriptions = " | ".join(e["errorDescription"] for e in data["errors"])
    for fragment in fragments:
        assert fragment in descriptions
    return data


# The seed's example ----------------------------------------------------------------------------
def test_the_seed_example_with_its_placeholders_filled_in_is_applied(rw_client, department):
    customer = CustomerFactory(organisation=department.organisation)
    request = copy.deepcopy(SEED_BODY)
    request.update(customerUUID=str(customer.uuid), messageUUID=str(uuid.uuid4()))
    request.update(userUUID=str(uuid.uuid4()), apiCallSource="sms-gateway")
    request["communicationAttributesList"][0].update(
        communicationType="sms",
        communicationValue="(202) 555-0143",
        customerUUID=str(customer.uuid),
    )

    response = post(rw_client, department, request)

    assert response.status_code == 200
    assert response.json() == {"errors": [], "warnings": []}
    status = CommunicationStatus.objects.get()
    assert (status.communication_type, status.communication_value) == ("SMS", "+12025550143")
    assert status.ok_to_communicate is True
    assert status.customer == customer
    assert (status.last_event, status.update_type) == ("STOP_MESSAGE_RECEIVED", "MESSAGE")


def test_the_seed_example_as_written_is_refused_with_an_error_per_field(rw_client, department):
    data = assert_invalid(
        post(rw_client, department, SEED_BODY),
        "customerUUID",
        "messageUUID",
        "userUUID",
        "communicationAttributesList.0.communicationType",
    )
    assert len({e["errorUID"] for e in data["errors"]}) == len(data["errors"])
    assert not CommunicationStatus.objects.exists()


def test_each_error_uid_is_logged(rw_client, department, caplog):
    data = assert_invalid(post(rw_client, department, body(event="NOPE")))
    [error] = data["errors"]
    assert error["errorUID"] in caplog.text


# Ledger -----------------------------------------------------------------------------------------
def test_a_change_writes_one_ledger_event_with_the_address_key_and_customer(
    rw_client, rw_user, department
):
    customer = CustomerFactory(organisation=department.organisation)
    post(rw_client, department, body(sms("2025550143", True), customerUUID=str(customer.uuid)))
    post(rw_client, department, body(sms("+1 202-555-0143", False)))

    events = list(ConsentEvent.objects.order_by("id"))
    assert [(e.old_value, e.new_value) for e in events] == [(None, True), (True, False)]
    last = events[-1]
    assert last.kind == "optout.status"
    assert last.target == f"{department.uuid}:SMS"
    assert last.subject_key == address_key("+12025550143")
    assert last.customer == customer  # the status keeps its customer
    assert (last.source, last.actor) == ("api", rw_user.username)


def test_a_request_that_changes_nothing_warns_and_writes_no_event(rw_client, department):
    CommunicationStatusFactory(
        department=department, communication_value="ada@example.com", ok_to_communicate=False
    )
    response = post(rw_client, department, body(email("ADA@example.com ", False)))

    assert response.status_code == 200
    [warning] = response.json()["warnings"]
    assert warning["warningCode"] == "ALREADY_IN_REQUESTED_STATE"
    assert "ada@example.com" in warning["warningDescription"]
    assert not ConsentEvent.objects.exists()


def test_the_source_detail_names_the_callers_user_and_source(rw_client, department):
    user_uuid = uuid.uuid4()
    post(rw_client, department, body(userUUID=str(user_uuid), apiCallSource="inbox"))
    detail = ConsentEvent.objects.get().source_detail
    assert str(user_uuid) in detail
    assert "via inbox" in detail


# Enums and validation ---------------------------------------------------------------------------
@pytest.mark.parametrize("event", Event.values)
def test_every_seed_event_is_accepted_and_recorded(rw_client, department, event):
    assert post(rw_client, department, body(event=event)).status_code == 200
    assert CommunicationStatus.objects.get().last_event == event


@pytest.mark.parametrize("update_type", UpdateType.values)
def test_every_seed_update_type_is_accepted_and_recorded(rw_client, department, update_type):
    assert post(rw_client, department, body(updateType=update_type)).status_code == 200
    assert CommunicationStatus.objects.get().update_type == update_type


@pytest.mark.parametrize("event", ["STOP", "stop_message_received", "", None, 5])
def test_an_event_outside_the_seeds_enum_is_refused(rw_client, department, event):
    assert_invalid(post(rw_client, department, body(event=event)), "event")
    assert not CommunicationStatus.objects.exists()


@pytest.mark.parametrize("update_type", ["EMAIL", "message", "", None])
def test_an_update_type_outside_the_seeds_enum_is_refused(rw_client, department, update_type):
    assert_invalid(post(rw_client, department, body(updateType=update_type)), "updateType")


@pytest.mark.parametrize("missing", ["event", "updateType", "communicationAttributesList"])
def test_a_missing_required_field_is_refused(rw_client, department, missing):
    request = body()
    del request[missing]
    assert_invalid(post(rw_client, department, request), missing)


@pytest.mark.parametrize("field", ["customerUUID", "messageUUID", "userUUID"])
def test_a_malformed_uuid_is_refused(rw_client, department, field):
    assert_invalid(post(rw_client, department, body(**{field: "not-a-uuid"})), field)


@pytest.mark.parametrize("given", ["email", "Email", "EMAIL"])
def test_communication_type_is_case_insensitive_in_and_upper_case_out(rw_client, department, given):
    item = {
        "communicationType": given,
        "communicationValue": "a@b.example",
        "okToCommunicate": False,
    }
    assert post(rw_client, department, body(item)).status_code == 200
    response = rw_client.get(url(department), {"communicationValue": "a@b.example"})
    assert response.json()["communicationStatuses"][0]["communicationType"] == "EMAIL"


@pytest.mark.parametrize("kind", ["FAX", "", "string", None])
def test_an_unknown_communication_type_is_refused(rw_client, department, kind):
    item = {"communicationType": kind, "communicationValue": "a@b.example", "okToCommunicate": True}
    assert_invalid(post(rw_client, department, body(item)), "communicationType")


@pytest.mark.parametrize("value", ["not-an-email", "a@", "@example.com", "a b@example.com", ""])
def test_an_invalid_email_is_refused(rw_client, department, value):
    assert_invalid(post(rw_client, department, body(email(value, False))), "communicationValue")


def test_emails_are_stored_trimmed_and_lower_cased(rw_client, department):
    post(rw_client, department, body(email("  Ada.Lovelace@Example.COM ", False)))
    assert CommunicationStatus.objects.get().communication_value == "ada.lovelace@example.com"


@pytest.mark.parametrize(
    ("value", "department_region", "organisation_region", "expected"),
    [
        ("(202) 555-0143", "", "US", "+12025550143"),  # national, organisation's region
        ("202.555.0143", "US", "DE", "+12025550143"),  # the department's region wins
        ("+1 202 555 0143", "GB", "GB", "+12025550143"),  # international, region irrelevant
        ("+44 20 7183 8750", "", "US", "+442071838750"),
        ("020 7183 8750", "GB", "US", "+442071838750"),  # national in the department's region
        ("030 12345678", "", "DE", "+493012345678"),
        ("0044 20 7183 8750", "DE", "US", "+442071838750"),  # international dialling prefix
    ],
)
def test_phone_numbers_are_normalised_to_e164(
    rw_client, organisation, value, department_region, organisation_region, expected
):
    organisation.phone_region = organisation_region
    organisation.save()
    department = DepartmentFactory(organisation=organisation, phone_region=department_region)
    response = post(rw_client, department, body(sms(value, False)))
    assert response.status_code == 200, response.content
    assert CommunicationStatus.objects.get().communication_value == expected


@pytest.mark.parametrize("value", ["12345", "not a phone", "+1 555", "(202) 555-01430000", "+999"])
@pytest.mark.parametrize("kind", ["SMS", "PHONE"])
def test_an_invalid_phone_number_is_refused(rw_client, department, value, kind):
    item = {"communicationType": kind, "communicationValue": value, "okToCommunicate": False}
    assert_invalid(post(rw_client, department, body(item)), "communicationValue")


def test_sms_and_phone_of_one_number_are_separate_statuses(rw_client, department):
    phone = {
        "communicationType": "PHONE",
        "communicationValue": "2025550143",
        "okToCommunicate": True,
    }
    post(rw_client, department, body(sms("2025550143", False), phone))
    assert dict(
        CommunicationStatus.objects.values_list("communication_type", "ok_to_communicate")
    ) == {
        "SMS": False,
        "PHONE": True,
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"communicationAttributesList": []},
        {"communicationAttributesList": None},
        {"communicationAttributesList": "SMS"},
        {"communicationAttributesList": [["SMS"]]},
        {"processSynchronously": "sometimes"},
        {"apiCallSource": "x" * 101},
    ],
)
def test_malformed_bodies_are_refused(rw_client, department, bad):
    assert_invalid(post(rw_client, department, {**body(), **bad}))


def test_an_item_without_ok_to_communicate_is_refused(rw_client, department):
    item = {"communicationType": "SMS", "communicationValue": "2025550143"}
    assert_invalid(post(rw_client, department, body(item)), "okToCommunicate")


def test_more_items_than_the_limit_are_refused(rw_client, department):
    items = [email(f"a{n}@example.com", False) for n in range(1001)]
    assert_invalid(post(rw_client, department, body(*items)))


@pytest.mark.parametrize(
    "raw", ["{", "[]", '"text"', "null", b'{"event": "\xff"}', r'{"event": "\ud800"}']
)
def test_non_object_or_malformed_json_is_a_400(rw_client, department, raw):
    response = rw_client.post(url(department), raw, content_type="application/json")
    assert_invalid(response)


# All or nothing (R5) ----------------------------------------------------------------------------
def test_one_invalid_item_means_nothing_is_applied(rw_client, department):
    response = post(
        rw_client,
        department,
        body(email("ok@example.com", False), sms("2025550143", False), sms("12", False)),
    )
    assert_invalid(response, "communicationAttributesList.2.communicationValue")
    assert not CommunicationStatus.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_an_unknown_customer_in_one_item_means_nothing_is_applied(rw_client, department):
    response = post(
        rw_client,
        department,
        body(
            email("ok@example.com", False),
            email("b@example.com", False, customerUUID=str(uuid.uuid4())),
        ),
    )
    assert_invalid(response, "communicationAttributesList.1.customerUUID")
    assert not CommunicationStatus.objects.exists()


def test_another_organisations_customer_is_refused_like_an_unknown_one(
    rw_client, department, other_organisation
):
    foreign = CustomerFactory(organisation=other_organisation)
    response = post(rw_client, department, body(customerUUID=str(foreign.uuid)))
    assert_invalid(response, "customerUUID")
    assert not CommunicationStatus.objects.exists()


def test_an_erased_customer_is_refused(rw_client, department):
    from django.utils import timezone

    erased = CustomerFactory(organisation=department.organisation, erased_at=timezone.now())
    assert_invalid(post(rw_client, department, body(customerUUID=str(erased.uuid))), "customerUUID")


def test_one_address_listed_twice_with_two_states_is_refused(rw_client, department):
    response = post(
        rw_client, department, body(sms("2025550143", True), sms("+12025550143", False))
    )
    assert_invalid(response, "communicationAttributesList.1")
    assert not CommunicationStatus.objects.exists()


def test_one_address_listed_twice_alike_is_applied_once(rw_client, department):
    response = post(
        rw_client, department, body(sms("2025550143", False), sms("+12025550143", False))
    )
    assert response.json() == {"errors": [], "warnings": []}
    assert CommunicationStatus.objects.count() == 1
    assert ConsentEvent.objects.count() == 1


def test_an_item_customer_overrides_the_request_customer(rw_client, department):
    default, own = CustomerFactory.create_batch(2, organisation=department.organisation)
    post(
        rw_client,
        department,
        body(
            email("a@example.com", False),
            email("b@example.com", False, customerUUID=str(own.uuid)),
            customerUUID=str(default.uuid),
        ),
    )
    assert dict(CommunicationStatus.objects.values_list("communication_value", "customer")) == {
        "a@example.com": default.pk,
        "b@example.com": own.pk,
    }


# Idempotency ------------------------------------------------------------------------------------
def test_a_replayed_message_changes_nothing_whatever_its_body(rw_client, department):
    message_uuid = str(uuid.uuid4())
    first = post(rw_client, department, body(sms("2025550143", False), messageUUID=message_uuid))
    assert first.json() == {"errors": [], "warnings": []}

    replay = post(rw_client, department, body(sms("2025550143", True), messageUUID=message_uuid))

    assert replay.status_code == 200
    [warning] = replay.json()["warnings"]
    assert warning["warningCode"] == "DUPLICATE_MESSAGE"
    assert message_uuid in warning["warningDescription"]
    assert CommunicationStatus.objects.get().ok_to_communicate is False
    assert ConsentEvent.objects.count() == 1


def test_a_replayed_message_with_an_invalid_body_is_still_only_a_duplicate(rw_client, department):
    message_uuid = str(uuid.uuid4())
    post(rw_client, department, body(messageUUID=message_uuid))
    replay = post(rw_client, department, {"messageUUID": message_uuid, "event": "NOPE"})
    assert replay.status_code == 200
    assert replay.json()["warnings"][0]["warningCode"] == "DUPLICATE_MESSAGE"


def test_a_message_uuid_is_scoped_to_its_department(rw_client, department, organisation):
    message_uuid = str(uuid.uuid4())
    second = DepartmentFactory(organisation=organisation)
    post(rw_client, department, body(messageUUID=message_uuid))
    response = post(rw_client, second, body(messageUUID=message_uuid))
    assert response.json()["warnings"] == []
    assert CommunicationStatus.objects.count() == 2


def test_a_refused_message_can_be_sent_again_corrected(rw_client, department):
    message_uuid = str(uuid.uuid4())
    assert_invalid(post(rw_client, department, body(sms("12", False), messageUUID=message_uuid)))
    response = post(rw_client, department, body(messageUUID=message_uuid))
    assert response.json() == {"errors": [], "warnings": []}
    assert CommunicationStatus.objects.count() == 1


# Access -----------------------------------------------------------------------------------------
def test_an_unknown_department_is_a_404(rw_client, department):
    response = post(rw_client, uuid.uuid4(), body())
    assert response.status_code == 404
    [error] = response.json()["errors"]
    assert error["errorCode"] == "NOT_FOUND"


def test_another_organisations_department_is_a_404(rw_client, other_department):
    assert post(rw_client, other_department, body()).status_code == 404
    assert (
        rw_client.get(url(other_department), {"communicationValue": "a@b.example"}).status_code
        == 404
    )
    assert not CommunicationStatus.objects.exists()


def test_a_malformed_department_uuid_is_a_404(rw_client, department):
    assert post(rw_client, "not-a-uuid", body()).status_code == 404


def test_the_trailing_slash_does_not_redirect(rw_client, department):
    response = rw_client.post(url(department) + "/", body(), format="json")
    assert response.status_code == 404


# Query budget -----------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [1, 50])
def test_a_post_costs_a_constant_number_of_queries(
    rw_client, department, django_assert_max_num_queries, size
):
    customer = CustomerFactory(organisation=department.organisation)
    existing = [f"old{n}@example.com" for n in range(size)]
    for value in existing:
        CommunicationStatusFactory(department=department, communication_value=value)
    items = [email(v, False) for v in existing] + [
        email(f"new{n}@example.com", False) for n in range(size)
    ]
    rw_client.get(url(department), {"communicationValue": "warm@example.com"})  # auth cache warm
    # 1 API user (with membership), 2 department, 3 customers, 4 savepoint (the service),
    # 5 savepoint, 6 insert processed message, 7 release, 8 savepoint (the apply), 9 lock the
    # customer, 10 lock existing statuses, 11 insert new ones, 12 update changed ones, 13 insert
    # ledger events, 14-15 release.
    # One spare: SQLite splits the 100-row ledger insert in two (999 bind variables a statement).
    with django_assert_max_num_queries(16):
        response = post(
            rw_client,
            department,
            body(*items, customerUUID=str(customer.uuid), messageUUID=str(uuid.uuid4())),
        )
    assert response.status_code == 200
    assert ConsentEvent.objects.count() == 2 * size


# GET --------------------------------------------------------------------------------------------
def test_get_reads_back_the_status_of_a_value(rw_client, department):
    customer = CustomerFactory(organisation=department.organisation)
    post(rw_client, department, body(sms("2025550143", False), customerUUID=str(customer.uuid)))

    response = rw_client.get(url(department), {"communicationValue": "(202) 555-0143"})

    assert response.status_code == 200
    [status] = response.json()["communicationStatuses"]
    assert status["communicationType"] == "SMS"
    assert status["communicationValue"] == "+12025550143"
    assert status["okToCommunicate"] is False
    assert status["customerUUID"] == str(customer.uuid)
    assert (status["lastEvent"], status["updateType"]) == ("STOP_MESSAGE_RECEIVED", "MESSAGE")
    assert status["updatedAt"]


def test_get_filters_by_type_and_lists_every_type_otherwise(rw_client, department):
    phone = {
        "communicationType": "phone",
        "communicationValue": "2025550143",
        "okToCommunicate": True,
    }
    post(rw_client, department, body(sms("2025550143", False), phone))
    every = rw_client.get(url(department), {"communicationValue": "+12025550143"}).json()
    assert [s["communicationType"] for s in every["communicationStatuses"]] == ["PHONE", "SMS"]
    only = rw_client.get(
        url(department), {"communicationValue": "+12025550143", "communicationType": "sms"}
    ).json()
    assert [s["communicationType"] for s in only["communicationStatuses"]] == ["SMS"]


def test_get_of_an_unknown_value_is_an_empty_list(rw_client, department):
    response = rw_client.get(url(department), {"communicationValue": "nobody@example.com"})
    assert response.status_code == 200
    assert response.json() == {"communicationStatuses": []}
    assert response.json()["communicationStatuses"] == []


def test_get_of_a_status_without_customer_answers_null(rw_client, department):
    CommunicationStatusFactory(department=department, communication_value="x@example.com")
    [status] = rw_client.get(url(department), {"communicationValue": "X@example.com"}).json()[
        "communicationStatuses"
    ]
    assert status["customerUUID"] is None


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"communicationValue": ""},
        {"communicationValue": "12"},
        {"communicationValue": "a@b.example", "communicationType": "FAX"},
    ],
)
def test_get_with_a_missing_or_invalid_value_is_a_400(rw_client, department, params):
    assert_invalid(rw_client.get(url(department), params))


def test_get_costs_a_constant_number_of_queries(
    rw_client, department, django_assert_max_num_queries
):
    rw_client.get(url(department), {"communicationValue": "warm@example.com"})
    # 1 department, 2 statuses with their customers; the rest is authentication.
    with django_assert_max_num_queries(4):
        rw_client.get(url(department), {"communicationValue": "a@example.com"})


def test_processed_messages_are_recorded_for_idempotency(rw_client, department):
    message_uuid = uuid.uuid4()
    post(rw_client, department, body(messageUUID=str(message_uuid)))
    message = ProcessedMessage.objects.get()
    assert (message.message_uuid, message.state, message.payload) == (message_uuid, "applied", None)


def test_the_schema_documents_the_route(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = schema["paths"]["/communications/department/{department_uuid}/optoutstatus"]
    assert {"get", "post"} <= set(operations)
    assert json.dumps(operations["post"]["responses"]["400"])
