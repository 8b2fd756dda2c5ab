"""Canonical forms of addresses and ids, and keyed hashes of addresses, shared by every app."""

import encodings.idna
import functools
import hashlib
import re
import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError

# Integer ids are BIGINT: 1 .. 2**63 - 1.
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


class InvalidPhoneNumber(ValueError):
    pass


class InvalidEmail(ValueError):
    """Not an email address in the one syntax every route, import, page and the admin accept."""


# The one address syntax (rule R6), see docs/customers-and-email-logs.md "Email addresses":
# a dot-atom local part of RFC 5322 atext plus any non-ASCII letter, mark or digit (RFC 6531),
# without "/" (a path segment cannot carry it: /customers/{email} could never reach such a
# customer); a domain of LDH labels or internationalised labels (IDNA), with a dot.
EMAIL_MAX_LENGTH = 254
_LOCAL_ATEXT = r"A-Za-z0-9!#$%&'*+=?^_`{|}~-"
_LOCAL_ASCII_RE = re.compile(rf"^[{_LOCAL_ATEXT}]+(?:\.[{_LOCAL_ATEXT}]+)*\Z")
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_TLD_RE = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})\Z")
# The common case, checked first: imports validate millions of addresses.
_PLAIN_EMAIL_RE = re.compile(
    rf"^[{_LOCAL_ATEXT}]+(?:\.[{_LOCAL_ATEXT}]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z"
)
_INVALID = "Enter a valid email address."


def clean_email(value) -> str:
    """The address as given (trimmed, NFC), or InvalidEmail: the project's only email validator.

    Accepts international local parts ("jürgen@example.com") and internationalised domains in
    either spelling ("münchen.de" or "xn--mnchen-3ya.de"); refuses "/", quoted local parts,
    address literals and anything over 254 characters (64 for the local part).
    """
    if isinstance(value, str):
        email = value.strip()
        if _plain_address(email):
            return email
    return _clean_email_in_full(value)


def _plain_address(email: str) -> bool:
    """The fast path of the address syntax: a plain ASCII address, answered by one regex as the
    whole syntax would answer it (tests/test_one_address_syntax). The regex cannot tell valid
    punycode ("xn--…") from invalid: those take the whole syntax."""
    return (
        len(email) <= EMAIL_MAX_LENGTH
        and _PLAIN_EMAIL_RE.match(email) is not None
        and email.index("@") <= 64
        and "xn--" not in email.lower()
    )


def _clean_email_in_full(value) -> str:
    """clean_email without its fast path: the whole syntax, for any address."""
    if not isinstance(value, str):
        raise InvalidEmail(_INVALID)
    email = value.strip()
    if len(email) > EMAIL_MAX_LENGTH or "@" not in email:
        raise InvalidEmail(_INVALID)
    email = unicodedata.normalize("NFC", email)
    local, _, domain = email.rpartition("@")
    if not local or len(local) > 64 or not _valid_local(local) or not _valid_domain(domain):
        raise InvalidEmail(_INVALID)
    return email


def validate_email_address(value) -> None:
    """clean_email as a Django validator, for model and form fields (the admin)."""
    try:
        clean_email(value)
    except InvalidEmail as exc:
        raise ValidationError(str(exc), code="invalid") from exc


def _valid_local(local: str) -> bool:
    if local.isascii():
        return bool(_LOCAL_ASCII_RE.match(local))
    for atom in local.split("."):
        if not atom:
            return False
        for ch in atom:
            if ch.isascii():
                if ch not in _LOCAL_ATEXT_SET:
                    return False
            elif unicodedata.category(ch)[0] not in "LMN":
                return False
    return True


_LOCAL_ATEXT_SET = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+=?^_`{|}~-"
)


def _valid_domain(domain: str) -> bool:
    try:
        labels = [_ascii_label(label) for label in domain.lower().split(".")]
    except UnicodeError:
        return False
    return (
        len(labels) >= 2
        and all(_LABEL_RE.match(label) for label in labels)
        and bool(_TLD_RE.match(labels[-1]))
        and len(".".join(labels)) <= 253
    )


def _ascii_label(label: str) -> str:
    if label.isascii():
        if label.startswith("xn--"):
            _unicode_label(label, strict=True)
        return label
    return encodings.idna.ToASCII(label).decode("ascii").lower()


def _unicode_label(label: str, *, strict: bool = False) -> str:
    try:
        return label[4:].encode("ascii").decode("punycode")
    except UnicodeError:
        if strict:
            raise
        return label


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
    """The form an email is compared in (None stays None): trimmed, Unicode NFC, lower-cased,
    and the domain in Unicode, so "Jürgen@XN--MNCHEN-3YA.de" and "jürgen@münchen.de" are one
    address. Defined for any text, valid or not (lookups of what a caller typed)."""
    if email is None:
        return None
    email = unicodedata.normalize("NFC", email.strip()).lower()
    if not email:
        return None
    if "xn--" in email:
        local, at, domain = email.rpartition("@")
        if at:
            domain = ".".join(
                _unicode_label(label) if label.startswith("xn--") else label
                for label in domain.split(".")
            )
            email = unicodedata.normalize("NFC", f"{local}@{domain}").lower()
    return email


def email_key_of(value) -> str:
    """normalise_email(clean_email(value)) in one step for a plain ASCII address (the fast path
    of clean_email: nothing to compose or decode, so only the case to fold); InvalidEmail too."""
    if isinstance(value, str):
        email = value.strip()
        if _plain_address(email):
            return email.lower()
    return normalise_email(_clean_email_in_full(value))


# A number already written in E.164: "+", then a country code and a national number without a
# leading zero, 8 to 18 ASCII digits in all (a national number has 2 to 17).
_E164_RE = re.compile(r"\+[1-9][0-9]{7,17}")


def normalise_phone(number: str, region: str = "US") -> str:
    """E.164 form of a phone number; national formats are read in `region`.

    Raises InvalidPhoneNumber for anything that is not a valid number.
    """
    if isinstance(number, str) and _E164_RE.fullmatch(number) and _valid_e164(number):
        return number
    return _normalise_phone_in_full(number, region)


def _valid_e164(number: str) -> bool:
    """True if phonenumbers.parse would read `number` (E.164 in form) as exactly these digits and
    the number is valid, without parsing it, which costs about half of normalise_phone: the
    country code is the first 1-3 digits that name one (as parse finds it), and parse would keep
    the rest as the national number unless it starts with the region's national prefix (then
    False, and the caller parses in full). tests/test_phone_numbers compares the two paths."""
    for length in (1, 2, 3):
        country_code = int(number[1 : 1 + length])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return False
    national = number[1 + length :]
    if len(national) < 2 or national[0] == "0":  # too short, or Italian leading zeros
        return False
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        country_code, phonenumbers.region_code_for_country_code(country_code)
    )
    if metadata is None:
        return False
    prefix = metadata.national_prefix_for_parsing
    if prefix and re.match(prefix, national):
        return False
    return phonenumbers.is_valid_number(
        phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    )


def _normalise_phone_in_full(number: str, region: str = "US") -> str:
    """normalise_phone through phonenumbers.parse, for any text."""
    try:
        parsed = phonenumbers.parse(number, (region or "US").upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"{number!r} is not a phone number.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"{number!r} is not a valid phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_e164_phone(value) -> None:
    """A stored phone number is a valid number written in E.164, as normalise_phone writes it
    (the admin's form; decisions rely on it to skip parsing numbers a customer has)."""
    try:
        normalised = normalise_phone(value)
    except InvalidPhoneNumber as exc:
        raise ValidationError(str(exc), code="invalid") from exc
    if normalised != value:
        raise ValidationError(f"Write the number in E.164 form: {normalised}.", code="invalid")


def address_key(address: str) -> str:
    """A keyed hash of a normalised address: lets us recognise it again without keeping it."""
    return address_keys((address,))[0]


def address_keys(addresses) -> list[str]:
    """address_key of each address, in order: the key is read once for all of them.

    HMAC-SHA256 by its definition (RFC 2104), H((K ^ opad) || H((K ^ ipad) || m)), from the two
    hash states that absorbed the padded key, kept per key: each address then costs two copies
    and two updates, about a third of a one-shot HMAC, which sets the key up again each time
    (decisions hash up to 10,000 addresses a request). The same values as hmac.digest.
    """
    inner, outer = _hmac_states(settings.ADDRESS_HASH_KEY)
    inner_copy, outer_copy = inner.copy, outer.copy
    keys = []
    append = keys.append
    for address in addresses:
        digest = inner_copy()
        digest.update(address.encode())
        mac = outer_copy()
        mac.update(digest.digest())
        append(mac.hexdigest())
    return keys


@functools.lru_cache(maxsize=4)
def _hmac_states(key: str):
    key_bytes = key.encode()
    if len(key_bytes) > _SHA256_BLOCK:
        key_bytes = hashlib.sha256(key_bytes).digest()
    key_bytes = key_bytes.ljust(_SHA256_BLOCK, b"\0")
    return (
        hashlib.sha256(key_bytes.translate(_IPAD)),
        hashlib.sha256(key_bytes.translate(_OPAD)),
    )


_SHA256_BLOCK = 64
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def is_canonical_uuid(value) -> bool:
    """The 8-4-4-4-12 hex spelling (any case): not braces, `urn:uuid:` or 32 bare digits."""
    return isinstance(value, str) and _CANONICAL_UUID.fullmatch(value) is not None
