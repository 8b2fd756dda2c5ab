"""Reading recipients: the phone numbers found without `phonenumbers` answer as the full parse."""

import pytest

from customers.tests.factories import CustomerFactory
from decisions import selectors

URL = "/consent/v1/decisions"

STORED = ["+447911123456", "+14155550100", "+4915112345678", "+390612345678"]
PHONES = [
    *STORED,
    # Valid, in E.164 form, not stored: unknown.
    "+447911123457",
    "+14155550199",
    # E.164-looking text whose E.164 form is another number (national prefix kept), stored.
    "+4407911123456",
    "+49015112345678",
    # ...and not stored.
    "+610412345678",
    # In E.164 form but not valid, or not a number at all.
    "+1415555010",
    "+12",
    "+999999999999",
    "+3906123456789012",
    "+0447911123456",
    # Other spellings of stored numbers, and of none.
    "07911 123456",
    "(415) 555-0100",
    " +14155550100 ",
    "+44 7911 123456",
    "4155550100",
    "not a number",
    "",
]


def full_answer(phone, organisation, region):
    """What reading the number through phonenumbers alone answers: (value, customer) or error."""
    try:
        recipient = selectors.recipient_from({"phone": phone}, region=region)
    except selectors.InvalidRecipient as exc:
        return ("invalid", str(exc))
    customers = selectors._customers_by_recipient(organisation.pk, [recipient])
    return (recipient.value, customers["phone"].get(recipient.value))


def answer(phone, organisation, region):
    try:
        [recipient], customers = selectors.recipients_and_customers(
            [{"phone": phone}], organisation_id=organisation.pk, region=region
        )
    except selectors.InvalidRecipients as exc:
        return ("invalid", exc.errors[0])
    return (recipient.value, customers["phone"].get(recipient.value))


@pytest.mark.django_db
@pytest.mark.parametrize("region", ["GB", "US"])
def test_a_phone_number_answers_as_the_full_parse_does(organisation, region):
    for phone in STORED:
        CustomerFactory(organisation=organisation, phone=phone)
    for phone in PHONES:
        assert answer(phone, organisation, region) == full_answer(phone, organisation, region), (
            phone
        )


@pytest.mark.django_db
def test_a_stored_number_in_e164_form_is_found_without_phonenumbers(organisation, monkeypatch):
    customer = CustomerFactory(organisation=organisation, phone="+447911123456")

    def refuse(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(selectors, "normalise_phone", refuse)
    [recipient], customers = selectors.recipients_and_customers(
        [{"phone": "+447911123456"}], organisation_id=organisation.pk, region="US"
    )
    assert customers["phone"][recipient.value][0] == customer.pk


def test_invalid_numbers_in_e164_form_are_named_in_index_order_among_other_errors(
    rw_client, organisation
):
    recipients = [{"phone": "+12"}, {"email": "nope"}, {"phone": "+1415555010"}]
    recipients += [{"email": f"bad{n}"} for n in range(120)]
    response = rw_client.post(URL, {"channel": "sms", "recipients": recipients}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == selectors.MAX_ERRORS
    assert list(errors)[:4] == ["recipients[0]", "recipients[1]", "recipients[2]", "recipients[3]"]
    assert errors["recipients[2]"] == ["'+1415555010' is not a valid phone number."]


def test_an_invalid_number_in_e164_form_is_a_400_before_the_preference_is_looked_up(
    rw_client, organisation
):
    response = rw_client.post(
        URL,
        {"channel": "sms", "preference": 999_999, "recipients": [{"phone": "+1415555010"}]},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["recipients[0]"]


OTHER_FORMS = [
    {"email": "Ada@Example.org"},
    {"email": " ada@example.org "},
    {"email": "Jürgen@XN--MNCHEN-3YA.de"},
    {"email": "not an address"},
    {"email": 42},
    {"customerId": "9b2f7c1e-3d4a-4e5f-8a6b-7c8d9e0f1a2b"},
    {"customerId": "9B2F7C1E-3D4A-4E5F-8A6B-7C8D9E0F1A2B"},
    {"customerId": "{9b2f7c1e-3d4a-4e5f-8a6b-7c8d9e0f1a2b}"},
    {"customerId": "9b2f7c1e3d4a4e5f8a6b7c8d9e0f1a2b"},
    {"customerId": "9b2f7c1e-3d4a-4e5f-8a6b"},
    {"customerId": 7},
    {"contactId": 7},
    {"contactId": 2**63 - 1},
    {"contactId": 2**63},
    {"contactId": 0},
    {"contactId": True},
    {"contactId": 7.0},
    {"contactId": "7"},
    {"correlationId": "crm-7"},
    {"correlationId": ""},
    {"fax": "123"},
    {"email": "a@x.org", "phone": "+447911123456"},
    [],
]


@pytest.mark.django_db
@pytest.mark.parametrize("item", OTHER_FORMS, ids=repr)
def test_every_recipient_form_reads_as_recipient_from_reads_it(organisation, item):
    try:
        expected = selectors.recipient_from(item, region="GB")
    except selectors.InvalidRecipient as exc:
        expected = ("invalid", str(exc))
    try:
        [got], _ = selectors.recipients_and_customers(
            [item], organisation_id=organisation.pk, region="GB"
        )
    except selectors.InvalidRecipients as exc:
        got = ("invalid", exc.errors[0])
    assert got == expected
