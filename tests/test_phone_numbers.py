"""normalise_phone answers a number already written in E.164 without parsing it; these tests hold
that shortcut to the full parse (phonenumbers.parse, is_valid_number, format_number) for every
example number the phone library knows, in every region and of every type, and for numbers a
digit away from them."""

import random

import phonenumbers
import pytest

from customers.normalisation import InvalidPhoneNumber, _normalise_phone_in_full, normalise_phone


def outcome(normalise, number, region):
    try:
        return normalise(number, region)
    except InvalidPhoneNumber as exc:
        return f"refused: {exc}"


def example_numbers():
    """E.164 text of every example number: each region's of each type, and the non-geographic
    ones (+800, +882 …)."""
    e164 = phonenumbers.PhoneNumberFormat.E164
    numbers = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in phonenumbers.PhoneNumberType.values():
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.add(phonenumbers.format_number(example, e164))
    for country_code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        example = phonenumbers.example_number_for_non_geo_entity(country_code)
        if example is not None:
            numbers.add(phonenumbers.format_number(example, e164))
    return sorted(numbers)


def near(number):
    """Numbers a digit away: one fewer, one more, the last changed, a national prefix (0, 1, 8)
    put after each possible country code, and a leading zero there."""
    yield number[:-1]
    yield number + "5"
    yield number[:-1] + str((int(number[-1]) + 1) % 10)
    for length in (1, 2, 3):
        for digit in "0189":
            yield number[: 1 + length] + digit + number[1 + length :]


EXAMPLES = example_numbers()


def test_the_phone_library_has_examples_to_compare_with():
    assert len(EXAMPLES) > 1000
    assert {"+12015550123", "+447400123456"} <= set(EXAMPLES)


@pytest.mark.parametrize("region", ["US", "IT"])
def test_every_example_number_normalises_as_the_full_parse_normalises_it(region):
    assert [outcome(normalise_phone, n, region) for n in EXAMPLES] == [
        outcome(_normalise_phone_in_full, n, region) for n in EXAMPLES
    ]


@pytest.mark.parametrize("region", ["US"])
def test_numbers_a_digit_away_from_the_examples_normalise_as_the_full_parse(region):
    numbers = [other for n in EXAMPLES for other in near(n)]
    assert [outcome(normalise_phone, n, region) for n in numbers] == [
        outcome(_normalise_phone_in_full, n, region) for n in numbers
    ]


def test_random_e164_shaped_numbers_normalise_as_the_full_parse():
    rng = random.Random(8058)
    numbers = [
        "+" + str(rng.randint(1, 9)) + "".join(rng.choices("0123456789", k=rng.randint(6, 17)))
        for _ in range(20_000)
    ]
    assert [outcome(normalise_phone, n, "US") for n in numbers] == [
        outcome(_normalise_phone_in_full, n, "US") for n in numbers
    ]


def test_the_shortcut_answers_most_valid_examples_without_the_full_parse(monkeypatch):
    """Not a behaviour a caller sees, but the reason the shortcut exists: it must really be
    taken for ordinary numbers."""
    calls = []
    real = _normalise_phone_in_full

    def counted(number, region="US"):
        calls.append(number)
        return real(number, region)

    monkeypatch.setattr("customers.normalisation._normalise_phone_in_full", counted)
    assert normalise_phone("+12025550143") == "+12025550143"
    assert normalise_phone("+447911123456") == "+447911123456"
    assert normalise_phone("(202) 555-0143") == "+12025550143"
    assert calls == ["(202) 555-0143"]


def test_no_number_is_refused_as_the_full_parse_refuses_it():
    assert outcome(normalise_phone, None, "US") == outcome(_normalise_phone_in_full, None, "US")
    assert outcome(normalise_phone, None, "US") == "refused: None is not a phone number."
