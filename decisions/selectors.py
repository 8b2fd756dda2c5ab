"""May we send this? One set-based answer for up to 10,000 recipients.

The consent truth lives in four apps: the suppression list and the programme subscriptions
(subscriptions), preference opt-ins (preferences) and department opt-out statuses (optout), all
keyed to customers (customers). `decisions_for` weighs them together for one channel. It reads
from every one of those apps, so it lives in this app, which sits above them all: none of them
may import the others' upper layers, and the answer must not live in a view.

The query count is fixed whatever the number of recipients: one query per source of truth, each
taking every recipient's identifiers or addresses as one array (`__in_array`).
"""

import re
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import Http404

from customers.models import Customer
from customers.normalisation import (
    InvalidEmail,
    InvalidPhoneNumber,
    address_keys,
    email_key_of,
    normalise_phone,
)
from customers.tenancy import get_in_organisation_or_404
from optout.models import ERASED_PREFIX, CommunicationStatus, CommunicationType, Department
from preferences.models import Preference, PreferenceOptIn
from subscriptions.models import ChannelSubscription
from subscriptions.selectors import suppression_reasons

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)
# The programme each channel's subscriptions are kept under (the loyalty dialect, seed 001).
PROGRAMMES = {EMAIL: ChannelSubscription.EMAIL_PROGRAMME, SMS: ChannelSubscription.SMS_PROGRAMME}
# Recipient form → the customer column it names.
RECIPIENT_FIELDS = {
    "email": "email_key",
    "phone": "phone",
    "customerId": "uuid",
    "contactId": "pk",
    "correlationId": "correlation_id",
}
MAX_RECIPIENTS = 10_000
_MAX_CONTACT_ID = 2**63 - 1
# A UUID as str(uuid.UUID(…)) writes it.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

UNKNOWN_RECIPIENT = "UNKNOWN_RECIPIENT"
NO_ADDRESS = "NO_ADDRESS"
SUPPRESSED = "SUPPRESSED"
NOT_OPTED_IN = "NOT_OPTED_IN"
PROGRAMME_OPTED_OUT = "PROGRAMME_OPTED_OUT"
OPTED_OUT = "OPTED_OUT"
REASON_CODES = (
    UNKNOWN_RECIPIENT,
    NO_ADDRESS,
    SUPPRESSED,
    NOT_OPTED_IN,
    PROGRAMME_OPTED_OUT,
    OPTED_OUT,
)


class InvalidRecipient(ValueError):
    """A recipient that names nobody in a form we accept; the message says why."""


class InvalidDecisionRequest(ValueError):
    """A preference or programme that cannot be asked about (a category, another channel's)."""


class Recipient(NamedTuple):
    """One recipient in normalised form: `kind` is a key of RECIPIENT_FIELDS.

    A tuple, so that hashing 10,000 of them as dictionary keys is C work."""

    kind: str
    value: object


class Reason(NamedTuple):
    code: str
    detail: str


@dataclass(slots=True)
class Decision:
    """`customer_uuid` in its canonical text; `reasons` may be shared between decisions."""

    customer_id: int | None
    customer_uuid: str | None
    reasons: tuple[Reason, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.reasons


def recipient_from(item, *, region: str) -> Recipient:
    """A recipient object (`{"email": …}`, `{"phone": …}`, …) checked and normalised.

    Phone numbers in national format are read in `region` (the organisation's).
    Raises InvalidRecipient.
    """
    if not isinstance(item, dict) or len(item) != 1:
        raise InvalidRecipient(
            "A recipient is an object with exactly one of: " + ", ".join(RECIPIENT_FIELDS) + "."
        )
    ((kind, raw),) = item.items()
    if kind == "email":
        try:
            return Recipient(kind, email_key_of(raw))
        except InvalidEmail as exc:
            raise InvalidRecipient(str(exc)) from exc
    if kind == "phone":
        if not isinstance(raw, str):
            raise InvalidRecipient("Enter a phone number as a string.")
        try:
            return Recipient(kind, normalise_phone(raw, region))
        except InvalidPhoneNumber as exc:
            raise InvalidRecipient(str(exc)) from exc
    if kind == "customerId":
        # In its canonical text, the form customers' UUIDs are read in (_customers_by_recipient).
        if type(raw) is str and _CANONICAL_UUID.fullmatch(raw):
            return Recipient(kind, raw)
        try:
            return Recipient(kind, str(uuid.UUID(raw)))
        except (ValueError, TypeError, AttributeError) as exc:
            raise InvalidRecipient("customerId must be a UUID.") from exc
    if kind == "contactId":
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= _MAX_CONTACT_ID:
            raise InvalidRecipient("contactId must be a positive integer.")
        return Recipient(kind, raw)
    if kind == "correlationId":
        if not isinstance(raw, str) or not raw.strip() or len(raw) > 128 or "\x00" in raw:
            raise InvalidRecipient("correlationId must be a string of 1 to 128 characters.")
        return Recipient(kind, raw)
    raise InvalidRecipient(
        f"Unknown recipient form {kind!r}; use one of: " + ", ".join(RECIPIENT_FIELDS) + "."
    )


class InvalidRecipients(ValueError):
    """Recipients that name nobody in a form we accept: {index: why}, the first MAX_ERRORS."""

    def __init__(self, errors: dict[int, str]):
        super().__init__(errors)
        self.errors = errors


MAX_ERRORS = 100  # enough to fix a request by
# A phone number as it is stored (E.164: "+", then digits). One that equals a stored customer's
# number needs no parsing: the stored number was normalised, so validated, when it was written
# (customers.normalisation.normalise_phone, whose answer for its own output is itself).
_STORED_PHONE_FORM = re.compile(r"\+[1-9][0-9]{1,18}")


def recipients_and_customers(
    items: list, *, organisation_id: int, region: str
) -> tuple[list[Recipient], dict]:
    """The recipients checked and normalised (recipient_from), and the customers they name
    (the customers query of decisions_for, to hand it as `customers`). In request order.

    Raises InvalidRecipients naming the first MAX_ERRORS invalid ones, as recipient_from would.
    A phone number in E.164 form skips `phonenumbers` (about 40 µs a number) when a customer of
    the organisation has it; only the others are parsed, after the customers query, to tell an
    invalid number (the 400) from an unknown one, or to find a number that E.164-looking text
    normalises to ("+4407911…" is "+447911…") with one more query, only then.
    """
    recipients: list = []
    append = recipients.append
    errors: dict[int, str] = {}
    pending = []  # indices of phone numbers in stored form, checked after the customers query
    match_stored = _STORED_PHONE_FORM.fullmatch
    match_uuid = _CANONICAL_UUID.fullmatch
    for index, item in enumerate(items):
        # The usual forms answered here as recipient_from answers them, without calling it.
        if type(item) is dict and len(item) == 1:
            ((kind, raw),) = item.items()
            if type(raw) is str:
                if kind == "email":
                    try:
                        append(Recipient(kind, email_key_of(raw)))
                    except InvalidEmail as exc:
                        errors[index] = str(exc)
                        append(None)
                        if len(errors) >= MAX_ERRORS:
                            break
                    continue
                if kind == "phone" and match_stored(raw):
                    pending.append(index)
                    append(Recipient(kind, raw))
                    continue
                if kind == "customerId" and match_uuid(raw):
                    append(Recipient(kind, raw))
                    continue
            elif kind == "contactId" and type(raw) is int and 0 < raw <= _MAX_CONTACT_ID:
                append(Recipient(kind, raw))
                continue
        try:
            append(recipient_from(item, region=region))
        except InvalidRecipient as exc:
            errors[index] = str(exc)
            append(None)
            if len(errors) >= MAX_ERRORS:
                break
    if errors:
        # The request is a 400 whatever the customers: the pending numbers before the last
        # error found are checked in full, to name the same first MAX_ERRORS as ever.
        last = max(errors) if len(errors) >= MAX_ERRORS else len(items)
        _check_in_full(items, [i for i in pending if i < last], recipients, errors, region)
        raise InvalidRecipients({i: errors[i] for i in sorted(errors)[:MAX_ERRORS]})
    customers = _customers_by_recipient(organisation_id, recipients)
    by_phone = customers.get("phone", {})
    unmatched = [i for i in pending if recipients[i].value not in by_phone]
    _check_in_full(items, unmatched, recipients, errors, region)
    if errors:
        raise InvalidRecipients({i: errors[i] for i in sorted(errors)[:MAX_ERRORS]})
    # Only a number whose E.164 form is not the text sent was not looked up yet.
    renamed = [
        recipients[i]
        for i in unmatched
        if recipients[i].value != items[i]["phone"] and recipients[i].value not in by_phone
    ]
    if renamed:
        for phone, row in _customers_by_recipient(organisation_id, renamed)["phone"].items():
            by_phone.setdefault(phone, row)
    return recipients, customers


def _check_in_full(items, indices, recipients, errors, region) -> None:
    """recipient_from for these recipients: the normalised one in place, or its error."""
    for index in indices:
        try:
            recipients[index] = recipient_from(items[index], region=region)
        except InvalidRecipient as exc:
            errors[index] = str(exc)


def decision_preference_or_404(*, organisation, preference_id: int) -> Preference:
    """The organisation's preference to ask about; Http404 when unknown (or another's)."""
    preference = get_in_organisation_or_404(Preference.objects, organisation, pk=preference_id)
    if not preference.is_preference:
        raise InvalidDecisionRequest("preference: this id is a category, not a preference.")
    return preference


def decision_department_or_404(*, organisation, department_uuid) -> Department:
    """The organisation's department whose opt-out statuses count; Http404 when unknown."""
    try:
        return get_in_organisation_or_404(Department.objects, organisation, uuid=department_uuid)
    except ValidationError as exc:  # pragma: no cover - get_in_organisation_or_404 maps it
        raise Http404 from exc


def check_programme(*, channel: str, programme: str | None) -> None:
    if programme is not None and programme != PROGRAMMES[channel]:
        raise InvalidDecisionRequest(
            f"programme: the {channel} channel's programme is {PROGRAMMES[channel]!r}."
        )


def decisions_for(
    *,
    organisation,
    channel: str,
    recipients: list[Recipient],
    preference: Preference | None = None,
    programme: str | None = None,
    department: Department | None = None,
    customers: dict | None = None,
) -> list[Decision]:
    """May the organisation send marketing on `channel` to each recipient? In request order.

    Every blocking reason is listed, in the order of REASON_CODES:
    - UNKNOWN_RECIPIENT: no (not erased) customer of the organisation matches;
    - NO_ADDRESS: the customer has no address on the channel;
    - SUPPRESSED (email): the address is on the suppression list, found by its hash, so an
      unknown or erased address that is suppressed says so too; detail: the reason;
    - NOT_OPTED_IN: `preference` was named and the customer is not opted in to it;
    - PROGRAMME_OPTED_OUT: `programme` was named and the customer's subscription says OPT_OUT;
    - OPTED_OUT: an opt-out status of the address says okToCommunicate false, in `department`,
      or without one in any department of the organisation; detail: the department's UUID.

    `customers`: recipients_and_customers' answer for these recipients, when it was asked.

    Queries, whatever the number of recipients: customers (unless given); suppressions (email);
    opt-ins (with a preference); programme subscriptions (with a programme); opt-out statuses.
    """
    organisation_id = getattr(organisation, "pk", organisation)
    if customers is None:
        customers = _customers_by_recipient(organisation_id, recipients)
    on_email = channel == EMAIL

    found = [customers[kind].get(value) for kind, value in recipients]
    addresses = [
        _address(recipient, customer, on_email)
        for recipient, customer in zip(recipients, found, strict=True)
    ]
    distinct = {address for address in addresses if address is not None}
    keys = dict(zip(distinct, address_keys(distinct), strict=True))
    customer_ids = {customer[0] for customer in found if customer is not None}

    suppressed = {}
    if on_email and keys:
        suppressed = {
            key: reason
            for (_, key), reason in suppression_reasons(
                organisation_ids=[organisation_id], address_keys=keys.values()
            ).items()
        }
    opted_in = set()
    if preference is not None and customer_ids:
        # customer__id rather than customer_id: the same SQL, but Django does not check each of
        # 10,000 values as a possible model instance (a lookup on the relation would).
        opted_in = set(
            PreferenceOptIn.objects.filter(
                preference_id=preference.pk, opted_in=True, customer__id__in_array=customer_ids
            ).values_list("customer_id", flat=True)
        )
    programme_out = set()
    if programme is not None and customer_ids:
        programme_out = set(
            ChannelSubscription.objects.filter(
                channel=channel,
                programme=programme,
                status=ChannelSubscription.Status.OPT_OUT,
                customer__id__in_array=customer_ids,
            ).values_list("customer_id", flat=True)
        )
    opted_out = _opted_out_departments(organisation_id, on_email, keys, department)

    # Per recipient only lookups and appends: the reasons are built once per distinct value, and
    # so are their tuples for a customer whose address blocks nothing (one per combination of
    # NO_ADDRESS, NOT_OPTED_IN and PROGRAMME_OPTED_OUT): shared, as they are immutable.
    unknown = (Reason(UNKNOWN_RECIPIENT, "No customer of the organisation matches."),)
    no_address = Reason(
        NO_ADDRESS, f"The customer has no {'email address' if on_email else 'phone number'}."
    )
    not_opted_in = Reason(NOT_OPTED_IN, str(preference.pk)) if preference is not None else None
    programme_opted_out = Reason(PROGRAMME_OPTED_OUT, programme)
    combinations = {
        (no, out, off): tuple(
            reason
            for reason, applies in (
                (no_address, no),
                (not_opted_in, out),
                (programme_opted_out, off),
            )
            if applies
        )
        for no in (False, True)
        for out in (False, True)
        for off in (False, True)
    }
    suppressed_by_address = {
        address: Reason(SUPPRESSED, suppressed[key])
        for address, key in keys.items()
        if key in suppressed
    }
    opted_out_by_address = {
        address: [Reason(OPTED_OUT, str(department_uuid)) for department_uuid in departments]
        for address, departments in opted_out.items()
    }
    blocked = suppressed_by_address.keys() | opted_out_by_address.keys()
    asks_opt_in = not_opted_in is not None

    decisions = []
    append = decisions.append
    for customer, address in zip(found, addresses, strict=True):
        if customer is None:
            customer_id = customer_uuid = None
            reasons = unknown
        else:
            customer_id, customer_uuid = customer[0], customer[1]
            reasons = combinations[
                address is None,
                asks_opt_in and customer_id not in opted_in,
                customer_id in programme_out,
            ]
        if address in blocked:
            reasons = _with_address_reasons(
                list(reasons),
                customer is not None,
                suppressed_by_address.get(address),
                opted_out_by_address.get(address, ()),
            )
        append(Decision(customer_id, customer_uuid, reasons))
    return decisions


def _with_address_reasons(reasons: list, known: bool, suppressed, opted_out) -> tuple:
    """The reasons with the address's own, in REASON_CODES order: SUPPRESSED after
    UNKNOWN_RECIPIENT (a customer with this address has no NO_ADDRESS), before the customer's
    NOT_OPTED_IN and PROGRAMME_OPTED_OUT; OPTED_OUT last."""
    if suppressed is not None:
        reasons.insert(0 if known else 1, suppressed)
    reasons.extend(opted_out)
    return tuple(reasons)


def link_subject(organisation_id: int, decision: Decision):
    """What customers.links.customer_links needs to sign a decision's customer's links."""
    return SimpleNamespace(organisation_id=organisation_id, uuid=decision.customer_uuid)


def _customers_by_recipient(organisation_id: int, recipients: list[Recipient]) -> dict:
    """{kind: {value: customer row}} of the (not erased) customers the recipients name; 1 query.

    A row is the tuple (id, uuid, email_key, phone, correlation_id) as read, the UUID as text
    (the answer's form, and the recipients'): no object per row.
    A phone number shared by several customers names the oldest of them.
    """
    wanted: dict[str, set] = {}
    for kind, value in recipients:
        wanted.setdefault(kind, set()).add(value)
    if not wanted:
        return {}
    matches = Q()
    for kind, values in wanted.items():
        matches |= Q(**{f"{RECIPIENT_FIELDS[kind]}__in_array": values})
    query = (
        Customer.objects.live()
        .filter(organisation_id=organisation_id)
        .filter(matches)
        .order_by("-id")  # so that the oldest customer of a shared phone number is kept
        .values_list("id", Cast("uuid", CharField()), "email_key", "phone", "correlation_id")
    )
    # All rows in one fetch (values_list would fetch 100 at a time through a generator); the
    # compiler still applies the database's converters (UUIDs on SQLite).
    rows = list(
        query.query.get_compiler(query.db).results_iter(
            tuple_expected=True, chunk_size=len(recipients) + 1
        )
    )
    if connection.vendor != "postgresql":
        # PostgreSQL writes a UUID as text in its canonical form; SQLite keeps 32 hex digits.
        rows = [(row[0], str(uuid.UUID(row[1])), *row[2:]) for row in rows]
    found: dict[str, dict] = {}
    # One comprehension per form named: later rows (older customers) win a shared value.
    for kind in wanted:
        if kind == "email":
            found[kind] = {row[2]: row for row in rows if row[2] is not None}
        elif kind == "phone":
            found[kind] = {row[3]: row for row in rows if row[3] is not None}
        elif kind == "customerId":
            found[kind] = {row[1]: row for row in rows}
        elif kind == "contactId":
            found[kind] = {row[0]: row for row in rows}
        else:
            found[kind] = {row[4]: row for row in rows if row[4] is not None}
    return found


def _address(recipient: Recipient, customer: tuple | None, on_email: bool) -> str | None:
    """The address a send on the channel goes to: the customer's, else the one given."""
    if customer is not None:
        return customer[2] if on_email else customer[3]
    if recipient.kind == ("email" if on_email else "phone"):
        return recipient.value
    return None


def _opted_out_departments(organisation_id, on_email, keys: dict, department) -> dict:
    """{address: [department UUID, …]} of statuses saying okToCommunicate false; one query.

    An erased customer's address is stored as its keyed hash (optout.models.erased_value), so
    both forms are looked for. With no department, every department of the organisation counts
    (served by communication_status_by_value); with one, communication_status_unique.
    """
    if not keys:
        return {}
    forms = {address: address for address in keys}
    forms.update({ERASED_PREFIX + key: address for address, key in keys.items()})
    statuses = CommunicationStatus.objects.filter(
        communication_type=CommunicationType.EMAIL if on_email else CommunicationType.SMS,
        ok_to_communicate=False,
        communication_value__in_array=forms,
    )
    if department is not None:
        statuses = statuses.filter(department_id=department.pk)
    else:
        statuses = statuses.filter(department__organisation_id=organisation_id)
    found: dict[str, list] = {}
    for value, department_uuid in statuses.values_list(
        "communication_value", "department__uuid"
    ).order_by("department__uuid"):
        found.setdefault(forms[value], []).append(department_uuid)
    return found
