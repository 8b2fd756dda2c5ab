"""Canonical forms of addresses, and keyed hashes of them, shared by every app."""

import hashlib
import hmac
import re

import phonenumbers
from django.conf import settings


class InvalidPhoneNumber(ValueError):
    pass


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


_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def is_canonical_uuid(value) -> bool:
    """The 8-4-4-4-12 hex spelling (any case): not braces, `urn:uuid:` or 32 bare digits."""
    return isinstance(value, str) and _CANONICAL_UUID.fullmatch(value) is not None
