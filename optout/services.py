"""Every write of the optout app: one function per use case, transactional, ledger included."""

import dataclasses
import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers import locking
from customers.ledger import Change, Provenance, Source, record_changes
from customers.models import Customer, Organisation, live_customer
from customers.normalisation import (
    InvalidEmail,
    InvalidPhoneNumber,
    clean_email,
    normalise_email,
    normalise_phone,
)
from customers.tenancy import require_in_organisation

from .models import (
    ERASED_PREFIX,
    CommunicationStatus,
    CommunicationType,
    Department,
    ProcessedMessage,
    erased_value,
    value_forms,
)

logger = logging.getLogger("consent.optout")

LEDGER_KIND = "optout.status"
DUPLICATE_MESSAGE = "DUPLICATE_MESSAGE"
ALREADY_IN_REQUESTED_STATE = "ALREADY_IN_REQUESTED_STATE"
# Unique-constraint races (two requests creating the same address at once) are retried this often.
_ATTEMPTS = 3


class InvalidCommunicationValue(ValueError):
    pass


class DepartmentConflict(ValueError):
    pass


def normalise_communication_value(communication_type: str, value: str, *, region: str) -> str:
    """The stored form of an address: E.164 for SMS/PHONE (national formats read in `region`),
    trimmed and lower-cased for EMAIL. Raises InvalidCommunicationValue."""
    if communication_type == CommunicationType.EMAIL:
        try:
            return normalise_email(clean_email(value))
        except InvalidEmail as exc:
            raise InvalidCommunicationValue(f"{value!r} is not a valid email address.") from exc
    try:
        return normalise_phone(value.strip(), region)
    except InvalidPhoneNumber as exc:
        raise InvalidCommunicationValue(str(exc)) from exc


@dataclass(frozen=True)
class StatusItem:
    """One validated, normalised item of a request or an import row."""

    communication_type: str
    communication_value: str
    ok_to_communicate: bool
    customer_id: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.communication_type, self.communication_value)


@dataclass
class ApplyResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[dict] = dataclasses.field(default_factory=list)


@dataclass
class OptOutOutcome:
    """What a POST answers: its warnings, and whether it was queued rather than applied."""

    warnings: list[dict]
    queued: bool = False
    duplicate: bool = False


def _warning(code: str, description: str) -> dict:
    return {"warningCode": code, "warningDescription": description}


def duplicate_warning(message_uuid) -> dict:
    return _warning(
        DUPLICATE_MESSAGE,
        f"Message {message_uuid} was already received; this request changed nothing.",
    )


# Departments ------------------------------------------------------------------------------------
@transaction.atomic
def department_create_or_update(
    *,
    organisation: Organisation,
    name: str,
    department_uuid: uuid.UUID | None = None,
    phone_region: str | None = None,
) -> tuple[Department, bool]:
    """The organisation's department of this name, created if missing (idempotent by name).

    A given UUID must match the existing department's; a UUID used by another department (of any
    organisation) is refused. A given phone region (ISO 3166 alpha-2) is validated and stored.
    """
    if phone_region is not None:
        phone_region = phone_region.strip().upper()
        if phone_region and phone_region not in phonenumbers.SUPPORTED_REGIONS:
            raise DepartmentConflict(f"{phone_region!r} is not a phone region (e.g. US, GB, DE).")
    name = name.strip()
    if not name:
        raise DepartmentConflict("A department needs a name.")
    department = (
        Department.objects.for_organisation(organisation)
        .select_for_update()
        .filter(name=name)
        .first()
    )
    if department is not None:
        if department_uuid is not None and department.uuid != department_uuid:
            raise DepartmentConflict(
                f"Department {name!r} already exists with UUID {department.uuid}."
            )
        if phone_region is not None and department.phone_region != phone_region:
            department.phone_region = phone_region
            department.save(update_fields=["phone_region"])
        return department, False
    if department_uuid is not None and Department.objects.filter(uuid=department_uuid).exists():
        raise DepartmentConflict(f"UUID {department_uuid} belongs to another department.")
    department = Department(
        organisation=organisation,
        name=name,
        phone_region=phone_region or "",
        uuid=department_uuid or uuid.uuid4(),
    )
    department.full_clean()
    department.save()
    return department, True


# Erasure ----------------------------------------------------------------------------------------
def erase_communication_statuses(customer, provenance: Provenance) -> None:
    """Eraser (DESIGN §7): the customer's addresses become keyed hashes; statuses stay.

    An SMS STOP must keep blocking after erasure, so the status row survives; naming the address
    again (a request, an import) finds it by its hash and fills the address back in.
    """
    statuses = list(
        CommunicationStatus.objects.select_for_update()
        .filter(customer=customer)
        .exclude(communication_value__startswith=ERASED_PREFIX)
    )
    for status in statuses:
        status.communication_value = erased_value(status.communication_value)
    CommunicationStatus.objects.bulk_update(statuses, ["communication_value"])
    _redact_queued_messages(customer)


def _names_customer(item: dict, customer) -> bool:
    value = item["communication_value"]
    return item.get("customer_id") == customer.pk or value in (
        customer.email_key,
        customer.phone,
    )


def _redact_queued_messages(customer) -> None:
    """Queued requests (not yet applied) that name the customer keep their work but lose the
    plaintext: each such item's address becomes its erased (hashed) form, which the worker
    applies to the erased status row, and the request's IP address and user agent go, as on
    the customer's ledger events. The row lock waits for a worker applying it right now."""
    queued = ProcessedMessage.objects.select_for_update().filter(
        organisation_id=customer.organisation_id, state=ProcessedMessage.State.QUEUED
    )
    redacted = []
    for message in queued:
        items = (message.payload or {}).get("items", [])
        if not any(_names_customer(item, customer) for item in items):
            continue
        for item in items:
            if _names_customer(item, customer):
                item["communication_value"] = _erased(item["communication_value"])
        message.payload["provenance"].update(ip_address=None, user_agent="")
        redacted.append(message)
    ProcessedMessage.objects.bulk_update(redacted, ["payload"])


def _erased(value: str) -> str:
    return value if value.startswith(ERASED_PREFIX) else erased_value(value)


# Applying statuses ------------------------------------------------------------------------------
def _apply_items(
    *,
    department: Department,
    items: Sequence[StatusItem],
    event: str,
    update_type: str,
    provenance: Provenance,
) -> ApplyResult:
    """Set every item's status at once (inside the caller's transaction), ledger included.

    Two requests creating the same new address at once: one insert fails on the unique
    constraint; its savepoint is rolled back and the whole set re-read, now seeing the other's row.
    """
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _apply_items_once(
                    department=department,
                    items=items,
                    event=event,
                    update_type=update_type,
                    provenance=provenance,
                )
        except IntegrityError:
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _apply_items_once(*, department, items, event, update_type, provenance) -> ApplyResult:
    keys = {item.key for item in items}
    if len(keys) != len(items):
        raise ValueError("Items must name each address once.")
    customer_ids = {item.customer_id for item in items if item.customer_id}
    if customer_ids:
        # Lock order as erasure's: customers, then their statuses. A customer erased meanwhile
        # still gets the opt-out (it is never refused), but it is not linked to the tombstone.
        live = locking.lock_customers(customer_ids, organisation=department.organisation_id)
        if len(live) != len(customer_ids):
            # Erased, or of another organisation: the latter is refused whoever calls.
            require_in_organisation(
                department.organisation_id, *Customer.objects.filter(pk__in=customer_ids - live)
            )
        items = [
            item
            if item.customer_id in live or not item.customer_id
            else dataclasses.replace(item, customer_id=None)
            for item in items
        ]
    # Locks the rows this request changes, so concurrent writers of an address queue up. An
    # erased customer's address is found by its hashed form and gets its value back.
    forms = value_forms({value for _, value in keys})
    rows = CommunicationStatus.objects.select_for_update().filter(
        department=department, communication_value__in=forms
    )
    existing = {}
    restored = []
    for row in rows:
        if row.communication_value != forms[row.communication_value]:
            row.communication_value = forms[row.communication_value]
            restored.append(row)
        existing[(row.communication_type, row.communication_value)] = row
    now = timezone.now()
    result = ApplyResult()
    new, changed, linked, changes = [], [], [], []
    target_prefix = f"{department.uuid}:"
    for item in items:
        status = existing.get(item.key)
        old = None
        if status is None:
            status = CommunicationStatus(
                department=department,
                communication_type=item.communication_type,
                communication_value=item.communication_value,
                ok_to_communicate=item.ok_to_communicate,
                customer_id=item.customer_id,
                last_event=event,
                update_type=update_type,
            )
            new.append(status)
            result.created += 1
        elif status.ok_to_communicate == item.ok_to_communicate:
            result.unchanged += 1
            state = "ok to communicate" if item.ok_to_communicate else "opted out"
            result.warnings.append(
                _warning(
                    ALREADY_IN_REQUESTED_STATE,
                    f"{item.communication_type} {item.communication_value} is already {state}; "
                    "nothing changed.",
                )
            )
            if item.customer_id and status.customer_id is None:
                # Learning whose address it is changes no consent state: no ledger event.
                status.customer_id = item.customer_id
                status.updated_at = now
                linked.append(status)
            continue
        else:
            old = status.ok_to_communicate
            status.ok_to_communicate = item.ok_to_communicate
            status.last_event = event
            status.update_type = update_type
            status.customer_id = item.customer_id or status.customer_id
            status.updated_at = now
            changed.append(status)
            result.updated += 1
        changes.append(
            Change(
                kind=LEDGER_KIND,
                target=target_prefix + item.communication_type,
                old=old,
                new=item.ok_to_communicate,
                customer_id=status.customer_id,
                subject_key=status.subject_key,
            )
        )
    if restored:
        CommunicationStatus.objects.bulk_update(restored, ["communication_value"])
    if new:
        CommunicationStatus.objects.bulk_create(new)
    if changed:
        CommunicationStatus.objects.bulk_update(
            changed,
            ["ok_to_communicate", "last_event", "update_type", "customer", "updated_at"],
        )
    if linked:
        CommunicationStatus.objects.bulk_update(linked, ["customer", "updated_at"])
    record_changes(
        organisation=department.organisation_id,
        changes=changes,
        provenance=provenance,
        occurred_at=now,
    )
    return result


def _claim(*, department: Department, message_uuid, state: str, payload=None):
    """Insert the processed-message row; None if this message was already received."""
    try:
        with transaction.atomic():
            return ProcessedMessage.objects.create(
                organisation_id=department.organisation_id,
                department=department,
                message_uuid=message_uuid,
                state=state,
                payload=payload,
                applied_at=timezone.now() if state == ProcessedMessage.State.APPLIED else None,
            )
    except IntegrityError:
        # processed_message_unique: a replay, or a twin request that committed first.
        return None


@transaction.atomic
def optout_status_update(
    *,
    department: Department,
    items: Sequence[StatusItem],
    event: str,
    update_type: str,
    message_uuid: uuid.UUID | None,
    process_synchronously: bool,
    provenance: Provenance,
) -> OptOutOutcome:
    """POST …/optoutstatus: set every item's status or none (R5), once per messageUUID.

    Synchronous: applied now, with a warning per item already in the requested state.
    Asynchronous: the validated items are stored and a task is queued once this transaction
    commits; the worker applies them (see optout_queued_message_apply).
    A replayed messageUUID changes nothing and answers a DUPLICATE_MESSAGE warning.
    """
    if process_synchronously:
        if message_uuid is not None and (
            _claim(
                department=department,
                message_uuid=message_uuid,
                state=ProcessedMessage.State.APPLIED,
            )
            is None
        ):
            return OptOutOutcome(warnings=[duplicate_warning(message_uuid)], duplicate=True)
        result = _apply_items(
            department=department,
            items=items,
            event=event,
            update_type=update_type,
            provenance=provenance,
        )
        return OptOutOutcome(warnings=result.warnings)

    payload = {
        "items": [dataclasses.asdict(item) for item in items],
        "event": event,
        "update_type": update_type,
        "provenance": dataclasses.asdict(provenance),
    }
    message = _claim(
        department=department,
        message_uuid=message_uuid,
        state=ProcessedMessage.State.QUEUED,
        payload=payload,
    )
    if message is None:
        return OptOutOutcome(warnings=[duplicate_warning(message_uuid)], duplicate=True)
    # robust: a broker failure must not turn an accepted (committed) request into a 500.
    transaction.on_commit(lambda: _enqueue(message.pk), robust=True)
    return OptOutOutcome(warnings=[], queued=True)


def _enqueue(processed_message_id: int) -> None:
    from .tasks import apply_queued_message

    try:
        apply_queued_message.delay(processed_message_id)
    except Exception:
        # The broker is unreachable: do the work here rather than leave it queued forever.
        logger.exception(
            "Could not queue opt-out message %s; applying it in-process.", processed_message_id
        )
        optout_queued_message_apply(processed_message_id=processed_message_id)


@transaction.atomic
def optout_queued_message_apply(*, processed_message_id: int) -> ApplyResult | None:
    """Apply a queued request (the worker's job), all or nothing, at most once.

    The row lock serialises redelivered or retried tasks of one message: the second sees it
    applied and does nothing. Returns None when there was nothing (left) to do.
    """
    message = (
        ProcessedMessage.objects.select_for_update()
        .select_related("department__organisation")
        .filter(pk=processed_message_id)
        .first()
    )
    if message is None or message.state == ProcessedMessage.State.APPLIED:
        return None
    payload = message.payload
    requested = Provenance(**payload["provenance"])
    provenance = dataclasses.replace(
        requested,
        source=Source.WORKER,
        detail=f"optout worker: {requested.detail}"[:200],
    )
    items = [StatusItem(**item) for item in payload["items"]]
    # Never write plaintext back to a tombstone: an item of a customer erased since the request
    # was queued is applied in its erased form (erasure redacts queued payloads too; this holds
    # even for a payload it could not see).
    erased = set(
        Customer.objects.filter(pk__in={item.customer_id for item in items if item.customer_id})
        .exclude(live_customer())
        .values_list("pk", flat=True)
    )
    if erased:
        items = [
            dataclasses.replace(item, communication_value=_erased(item.communication_value))
            if item.customer_id in erased
            else item
            for item in items
        ]
        provenance = dataclasses.replace(provenance, ip_address=None, user_agent="")
    result = _apply_items(
        department=message.department,
        items=items,
        event=payload["event"],
        update_type=payload["update_type"],
        provenance=provenance,
    )
    message.state = ProcessedMessage.State.APPLIED
    message.applied_at = timezone.now()
    message.payload = None  # holds addresses; not needed once applied
    message.save(update_fields=["state", "applied_at", "payload"])
    return result


@transaction.atomic
def optout_status_set(
    *, status: CommunicationStatus, ok_to_communicate: bool, provenance: Provenance
) -> bool:
    """Set one status (admin edits and actions); True if it changed."""
    result = _apply_items(
        department=status.department,
        items=[
            StatusItem(
                communication_type=status.communication_type,
                communication_value=status.communication_value,
                ok_to_communicate=ok_to_communicate,
            )
        ],
        event=status.last_event,
        update_type=status.update_type,
        provenance=provenance,
    )
    return result.updated > 0


@transaction.atomic
def optout_statuses_import(
    *, rows: Sequence[tuple[Department, str, StatusItem]], provenance: Provenance
) -> Counter:
    """import_optouts: apply (department, event, item) rows in file order; a later row for an
    address wins. Consecutive rows of one department and event are written together."""
    counts = Counter(created=0, updated=0, unchanged=0)
    group: dict[tuple[str, str], StatusItem] = {}
    group_of: tuple[Department, str] | None = None

    def flush():
        if group_of is not None and group:
            result = _apply_items(
                department=group_of[0],
                items=list(group.values()),
                event=group_of[1],
                update_type="",
                provenance=provenance,
            )
            counts.update(
                created=result.created, updated=result.updated, unchanged=result.unchanged
            )
        group.clear()

    for department, event, item in rows:
        if group_of is None or group_of != (department, event) or item.key in group:
            flush()
            group_of = (department, event)
        group[item.key] = item
    flush()
    return counts
