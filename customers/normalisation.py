"""Canonical forms of addresses and ids, and keyed hashes of addresses, shared by every app."""

import hashlib
import hmac
import re

import phonenumbers
from django.conf import settings

# Integer ids are BIGINT: 1 .. 2**63 - 1.
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


class InvalidPhoneNumber(ValueError):
    pass


def parse_id(text, *, maximum: int = MAX_ID) -> int | None:
    """The integer written in ASCII digits 0-9 alone (at most `maximum`), else None.

    The one reading of an integer id from text (paths, queries, admin searches, import columns).
    `str.isdigit()` and `int()` accept much more: superscripts ("²"), other scripts' digits,
    signs, underscores and spaces.
    """
    text = str(text)
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= maximum else None


def normalise_email(email: str | None) -> str | None:
    """The form an email is compared in: trimmed and lower-cased (None stays None)."""
    if email is None:
        return None
    email = email.strip()
    return email.lower() if email else None


def normalise_phone(number: str, region: str = "US") -> str:
    """E.164 form of a phone number; national formats are read in `region`.

    Raises InvalidPhoneNumber for anything that is not a valid number.
    """
    try:
        parsed = phonenumbers.parse(number, (region or "US").upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"{number!r} is not a phone number.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"{number!r} is not a valid phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def address_key(address: str) -> str:
    """A keyed hash of a normalised address: lets us recognise it again without keeping it."""
    key = settings.ADDRESS_HASH_KEY.encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()
