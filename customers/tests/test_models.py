import hmac
import time
import uuid

import pytest
from django.db import IntegrityError, transaction

from customers.normalisation import (
    InvalidPhoneNumber,
    address_key,
    address_keys,
    normalise_phone,
)
from customers.tests.factories import CustomerFactory
from customers.uuids import uuid7s

pytestmark = pytest.mark.django_db


def test_email_is_unique_per_organisation_whatever_its_case(organisation):
    CustomerFactory(organisation=organisation, email="Jo@Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(organisation=organisation, email="jo@example.COM")


def test_the_same_email_may_exist_in_two_organisations(organisation, other_organisation):
    CustomerFactory(organisation=organisation, email="jo@example.com")
    assert CustomerFactory(organisation=other_organisation, email="jo@example.com").pk


def test_unicode_emails_match_whatever_their_case(organisation):
    customer = CustomerFactory(organisation=organisation, email="Ärger@Bücher.de")
    found = type(customer).objects.for_organisation(organisation).with_email("ärger@bücher.DE")
    assert list(found) == [customer]


def test_customers_without_email_may_coexist(organisation):
    CustomerFactory(organisation=organisation, email=None, phone="+12025550143")
    assert CustomerFactory(organisation=organisation, email=None, correlation_id="c-1").pk


def test_correlation_id_is_unique_per_organisation(organisation, other_organisation):
    CustomerFactory(organisation=organisation, correlation_id="c-1")
    CustomerFactory(organisation=other_organisation, correlation_id="c-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(organisation=organisation, correlation_id="c-1")


@pytest.mark.parametrize(
    ("number", "region", "expected"),
    [
        ("(202) 555-0143", "US", "+12025550143"),
        ("+44 20 7183 8750", "US", "+442071838750"),
        ("020 7183 8750", "GB", "+442071838750"),
        ("030 12345678", "DE", "+493012345678"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(number, region, expected):
    assert normalise_phone(number, region) == expected


@pytest.mark.parametrize("number", ["12", "not a number", "+1 555", ""])
def test_invalid_phone_numbers_are_refused(number):
    with pytest.raises(InvalidPhoneNumber):
        normalise_phone(number, "US")


def test_address_keys_are_stable_and_keyed(settings):
    first = address_key("jo@example.com")
    assert first == address_key("jo@example.com")
    assert "jo@example.com" not in first
    settings.ADDRESS_HASH_KEY = "another key"
    assert address_key("jo@example.com") != first


@pytest.mark.parametrize("key", ["", "k", "x" * 64, "y" * 65, "ü" * 40, "z" * 200])
def test_address_keys_are_hmac_sha256_of_the_address_under_the_key(settings, key):
    settings.ADDRESS_HASH_KEY = key
    addresses = ["jo@example.com", "", "jürgen@münchen.de", "+447911123456", "a" * 300]
    expected = [hmac.digest(key.encode(), a.encode(), "sha256").hex() for a in addresses]
    assert address_keys(addresses) == expected
    assert [address_key(a) for a in addresses] == expected


def test_new_customers_get_time_ordered_uuids(organisation):
    first, second = (CustomerFactory(organisation=organisation) for _ in range(2))
    assert (first.uuid.version, second.uuid.version) == (7, 7)
    assert first.uuid.variant == uuid.RFC_4122
    # The first 48 bits are Unix milliseconds: later customers never sort before earlier ones.
    assert first.uuid.int >> 80 <= second.uuid.int >> 80


def test_uuids_made_together_are_distinct_version_7_uuids_of_this_millisecond():
    before = time.time_ns() // 1_000_000
    made = uuid7s(1000)
    after = time.time_ns() // 1_000_000
    assert len(set(made)) == 1000
    assert {(u.version, u.variant) for u in made} == {(7, uuid.RFC_4122)}
    assert {u.int >> 80 for u in made} <= set(range(before, after + 1))


def test_a_version_4_uuid_stays_valid(organisation):
    customer = CustomerFactory(organisation=organisation, uuid=uuid.uuid4())
    customer.refresh_from_db()
    assert customer.uuid.version == 4
