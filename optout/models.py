"""Departments, the opt-out status of communication addresses per department, and the log of
processed messages that makes `messageUUID` idempotent (seed 003, DESIGN §4d)."""

import uuid

from django.db import models

from customers.models import Customer, Organisation
from customers.normalisation import address_key
from customers.tenancy import OrganisationQuerySet


class CommunicationType(models.TextChoices):
    EMAIL = "EMAIL"
    SMS = "SMS"
    PHONE = "PHONE"


class Event(models.TextChoices):
    """The seed's `event` enum, word for word."""

    STOP_MESSAGE_RECEIVED = "STOP_MESSAGE_RECEIVED"
    STOP_SUSPECTED_MESSAGE_RECEIVED = "STOP_SUSPECTED_MESSAGE_RECEIVED"
    OPTIN_MESSAGE_RECEIVED = "OPTIN_MESSAGE_RECEIVED"
    OPTIN_TEXT_CONSENT_VIA_MESSAGE_RECEIVED = "OPTIN_TEXT_CONSENT_VIA_MESSAGE_RECEIVED"
    GENERIC_MESSAGE_RECEIVED = "GENERIC_MESSAGE_RECEIVED"
    USER_REQUESTED_SEND_OPTIN_REQUEST = "USER_REQUESTED_SEND_OPTIN_REQUEST"
    USER_REQUESTED_OPT_OUT = "USER_REQUESTED_OPT_OUT"
    COMMUNICATION_VALUE_CREATION = "COMMUNICATION_VALUE_CREATION"
    COMMUNICATION_STATUS_NOT_FOUND = "COMMUNICATION_STATUS_NOT_FOUND"
    DOUBLE_OPTIN_ROLLOUT = "DOUBLE_OPTIN_ROLLOUT"
    DOUBLE_OPTIN_ROLLBACK = "DOUBLE_OPTIN_ROLLBACK"


class UpdateType(models.TextChoices):
    """The seed's `updateType` enum."""

    MESSAGE = "MESSAGE"
    CUSTOMER = "CUSTOMER"
    DEPLOYMENT = "DEPLOYMENT"


class Department(models.Model):
    """A communication context of an organisation (a sending number, a shop, a team)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    # Not indexed alone: department_name_unique_per_org leads with organisation.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="departments", db_index=False
    )
    name = models.CharField(max_length=200)
    # Blank: phone numbers in national format are read in the organisation's region.
    phone_region = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166 alpha-2; blank: the organisation's"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            # create_department is idempotent by name within an organisation.
            models.UniqueConstraint(
                fields=["organisation", "name"], name="department_name_unique_per_org"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def region(self) -> str:
        """Where national-format phone numbers are read: ours, else the organisation's."""
        return (self.phone_region or self.organisation.phone_region or "US").upper()


# An erased customer's address is kept as this prefix plus its keyed hash (DESIGN §7).
ERASED_PREFIX = "erased:"


def erased_value(value: str) -> str:
    """What an erased customer's address becomes: a keyed hash that still matches it."""
    return ERASED_PREFIX + address_key(value)


def value_forms(values) -> dict[str, str]:
    """Each value and its erased form, both mapped to the value, for lookups that find both."""
    forms = {value: value for value in values}
    forms.update({erased_value(value): value for value in values})
    return forms


class CommunicationStatusQuerySet(OrganisationQuerySet):
    organisation_field = "department__organisation"


class CommunicationStatus(models.Model):
    """Whether a department may communicate with one address (rule R3 for SMS STOPs)."""

    # Not indexed alone: communication_status_unique leads with department.
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="statuses", db_index=False
    )
    communication_type = models.CharField(max_length=8, choices=CommunicationType.choices)
    # Normalised: E.164 for SMS and PHONE, lower-cased for EMAIL.
    communication_value = models.CharField(max_length=254)
    ok_to_communicate = models.BooleanField()
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communication_statuses",
    )
    last_event = models.CharField(max_length=48, choices=Event.choices, blank=True)
    update_type = models.CharField(max_length=16, choices=UpdateType.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CommunicationStatusQuerySet.as_manager()

    class Meta:
        ordering = ["department", "communication_type", "communication_value"]
        verbose_name_plural = "communication statuses"
        constraints = [
            # One status per address and department; also serves POST (locking the rows a
            # request touches), GET ?communicationValue= and import_optouts.
            models.UniqueConstraint(
                fields=["department", "communication_type", "communication_value"],
                name="communication_status_unique",
            ),
        ]
        indexes = [
            # GET ?communicationValue= without a type, and the admin's exact-value search.
            models.Index(
                fields=["department", "communication_value"],
                name="communication_status_value_idx",
            ),
            # POST/GET /consent/v1/decisions without a department: the opt-out statuses of a set
            # of addresses in every department of the organisation (SMS STOP in any department
            # blocks), found by value first and joined to the organisation's departments.
            models.Index(
                fields=["communication_value", "communication_type"],
                name="communication_status_by_value",
            ),
        ]

    def __str__(self):
        state = "ok" if self.ok_to_communicate else "opted out"
        return f"{self.communication_type} {self.communication_value}: {state}"

    @property
    def subject_key(self) -> str:
        """The ledger subject key of this address, whether or not it was erased."""
        value = self.communication_value
        if value.startswith(ERASED_PREFIX):
            return value.removeprefix(ERASED_PREFIX)
        return address_key(value)


class ProcessedMessageQuerySet(OrganisationQuerySet):
    pass


class ProcessedMessage(models.Model):
    """One accepted opt-out request: the idempotency key and, while queued, its work.

    A request with a `messageUUID` claims (department, messageUUID) by inserting this row; the
    unique constraint makes a concurrent or later replay fail to insert, so it changes nothing.
    A queued request keeps its validated items in `payload` until the worker applies them (the
    payload is then cleared: it holds addresses, which need not outlive the work).
    """

    class State(models.TextChoices):
        QUEUED = "queued"
        APPLIED = "applied"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="processed_messages", db_index=False
    )
    # Null for requests without a messageUUID (queued work only): NULLs never collide.
    message_uuid = models.UUIDField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=State.choices)
    payload = models.JSONField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    objects = ProcessedMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # Idempotency of POST …/optoutstatus by messageUUID, under concurrency too.
            models.UniqueConstraint(
                fields=["department", "message_uuid"], name="processed_message_unique"
            ),
        ]
        indexes = [
            # The admin's list of an organisation's messages, newest first.
            models.Index(fields=["organisation", "-received_at"], name="processed_message_org_idx"),
        ]

    def __str__(self):
        return f"{self.message_uuid or f'#{self.pk}'} ({self.state})"
