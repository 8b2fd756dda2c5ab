"""Tenancy, customers and the consent ledger: the lowest layer every other app builds on."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from .normalisation import normalise_email, validate_e164_phone, validate_email_address
from .tenancy import OrganisationQuerySet
from .uuids import uuid7

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]*$", "Use lower-case letters, digits and -.")


class Organisation(models.Model):
    """The tenant. Every customer, preference, suppression, department and log belongs to one."""

    slug = models.SlugField(max_length=64, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    # Phone numbers written in national format are read in this region (ISO 3166 alpha-2).
    phone_region = models.CharField(max_length=2, default="US")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.name or self.slug


class Membership(models.Model):
    """Links a Django user (API caller or staff) to exactly one organisation, with a role."""

    class Role(models.TextChoices):
        READ_ONLY = "read_only", "Read only"
        READ_WRITE = "read_write", "Read and write"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.READ_WRITE)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "user__username"]

    def __str__(self):
        return f"{self.user} @ {self.organisation.slug} ({self.get_role_display()})"

    @property
    def can_write(self) -> bool:
        return self.role == self.Role.READ_WRITE


class ApiToken(models.Model):
    """A bearer token. Only a SHA-256 digest of the key is stored; the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key, so staff can tell tokens apart without seeing them.
    prefix = models.CharField(max_length=12, editable=False)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"


def live_customer(via: str = "") -> models.Q:
    """The condition "not erased" on a customer reached through `via` (e.g. "customer"), for
    queries of other tables; CustomerQuerySet.live() is the same on customers themselves."""
    return models.Q(**{f"{via}__erased_at__isnull" if via else "erased_at__isnull": True})


class CustomerQuerySet(OrganisationQuerySet):
    def live(self):
        """Customers whose personal data was not erased. An erased customer is a tombstone kept
        for the ledger: no identifier reaches it and no write may land on it."""
        return self.filter(live_customer())

    def with_email(self, email: str | None):
        """Customers whose email matches, whatever its case."""
        return self.filter(email_key=normalise_email(email))


class Customer(models.Model):
    """One customer of one organisation, behind every identifier the dialects use (rule R1)."""

    class EmailType(models.TextChoices):
        HTML = "Html"
        PLAIN_TEXT = "PlainText"

    class OptInType(models.TextChoices):
        UNKNOWN = "Unknown"
        SINGLE = "Single"
        DOUBLE = "Double"
        VERIFIED_DOUBLE = "VerifiedDouble"

    # The integer id is the v2 dialect's "contact id"; the UUID is customerId / customerUUID.
    id = models.BigAutoField(primary_key=True)
    # Time-ordered for new customers (cheap inserts into its unique index); old ones stay valid.
    uuid = models.UUIDField(default=uuid7, unique=True, editable=False)
    # Not indexed alone: customer_email_unique_per_org_ci leads with organisation.
    # Checked once per statement, not per row (customers.references): imports write thousands.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="customers",
        db_index=False,
        db_constraint=False,
    )
    # One address syntax everywhere (customers.normalisation.clean_email), the admin's form too.
    email = models.CharField(
        max_length=254, null=True, blank=True, validators=[validate_email_address]
    )
    # The email in its comparison form (normalise_email), the same on every database: lookups
    # and uniqueness use it. save() keeps it in step; bulk writers must set it with
    # normalise_email().
    email_key = models.CharField(max_length=254, null=True, blank=True, editable=False)
    phone = models.CharField(
        max_length=20, null=True, blank=True, help_text="E.164", validators=[validate_e164_phone]
    )
    correlation_id = models.CharField(max_length=128, null=True, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    locale = models.CharField(max_length=35, blank=True, help_text="BCP 47, e.g. en-US")
    data_fields = models.JSONField(default=dict, blank=True)
    email_type = models.CharField(max_length=16, choices=EmailType.choices, default=EmailType.HTML)
    opt_in_type = models.CharField(
        max_length=16, choices=OptInType.choices, default=OptInType.UNKNOWN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when the customer's personal data was erased (DESIGN §7); the row stays as a tombstone
    # so that ledger events and foreign keys keep pointing at something that says "erased".
    erased_at = models.DateTimeField(null=True, blank=True)
    # A 64-bit digest of the import record that last wrote this customer (import_customers on
    # PostgreSQL). A re-run finds a record whose digest is stored here unchanged without parsing
    # it. Only the import sets it: on PostgreSQL a trigger clears it on any other update
    # (migration 0008), so a stored digest always means "the stored values are that record's".
    import_digest = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            # Email is unique per organisation whatever its case; this index also serves every
            # lookup by email (GET /customers/{email}, v2 contact routes, imports).
            models.UniqueConstraint(
                fields=["organisation", "email_key"], name="customer_email_unique_per_org_ci"
            ),
            models.UniqueConstraint(
                fields=["organisation", "correlation_id"],
                name="customer_correlation_id_unique_per_org",
            ),
            models.CheckConstraint(
                condition=~models.Q(email=""), name="customer_email_null_not_blank"
            ),
            models.CheckConstraint(
                condition=~models.Q(correlation_id=""),
                name="customer_correlation_id_null_not_blank",
            ),
            models.CheckConstraint(
                condition=~models.Q(phone=""), name="customer_phone_null_not_blank"
            ),
        ]
        indexes = [
            # SMS routes and the admin search find customers by phone number.
            models.Index(fields=["organisation", "phone"], name="customer_org_phone_idx"),
        ]

    def __str__(self):
        return self.email or self.phone or self.correlation_id or str(self.uuid)

    def save(self, *args, **kwargs):
        self.email_key = normalise_email(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_key"}
        super().save(*args, **kwargs)

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class ConsentEventQuerySet(OrganisationQuerySet):
    """Refuses bulk changes: ledger rows are only ever appended (and redacted on erasure)."""

    def update(self, **kwargs):
        raise LedgerIsAppendOnly("Consent events cannot be changed.")

    def delete(self):
        raise LedgerIsAppendOnly("Consent events cannot be deleted.")

    def _redact_personal_data(self) -> int:
        """Blank who-did-it network details; used by customers.ledger.redact_events_of only."""
        return super().update(ip_address=None, user_agent="", consent=None)


class ConsentEvent(models.Model):
    """One appended line of the consent ledger: what changed, from what to what, by whom and how.

    Rows are never updated or deleted (the model, the admin and, on PostgreSQL, a trigger refuse
    it). The one exception is erasure, which blanks `ip_address`, `user_agent` and `consent` of
    an erased customer's events, through `customers.ledger.redact_events_of`.
    Old and new values hold states (opted in, subscribed, reason), never personal data.
    """

    class Source(models.TextChoices):
        API = "api", "API"
        ADMIN = "admin", "Admin"
        IMPORT = "import", "Import"
        HOSTED_PAGE = "hosted_page", "Hosted page"
        WORKER = "worker", "Background worker"
        SYSTEM = "system", "System"

    id = models.BigAutoField(primary_key=True)
    # Both foreign keys are covered by the composite indexes below, and checked once per
    # statement, not per row (customers.references).
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="consent_events",
        db_index=False,
        db_constraint=False,
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consent_events",
        db_index=False,
        db_constraint=False,
    )
    # A keyed hash of the address the change is about, for addresses without a customer record
    # (suppressing an unknown email, a department's SMS STOP). Never the address itself.
    subject_key = models.CharField(max_length=64, blank=True)
    # What changed, as "<kind>" plus the thing within it, e.g. "preference.opt_in" / "12".
    kind = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    # Route, file name, admin action or task name, for the reader of the ledger.
    source_detail = models.CharField(max_length=200, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The consent record a client sent with the change (v2 with-consent-and-preferences): a list
    # of {text, dateTimeConsented, url, ipAddress, userAgent}, the end user's proof of consent.
    # Personal data: blanked with ip_address and user_agent when the customer is erased.
    consent = models.JSONField(null=True, blank=True)
    occurred_at = models.DateTimeField()

    objects = ConsentEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # Consent history of one customer, newest first (API and admin inline).
            models.Index(
                fields=["customer", "-occurred_at", "-id"], name="consentevent_customer_idx"
            ),
            # The admin's ledger list for one organisation, newest first, filterable by kind.
            models.Index(
                fields=["organisation", "-occurred_at", "-id"], name="consentevent_org_time_idx"
            ),
            # History of an address that has no customer record.
            models.Index(
                fields=["organisation", "subject_key"],
                name="consentevent_subject_idx",
                condition=~models.Q(subject_key=""),
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.target}: {self.old_value!r} → {self.new_value!r}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly("Consent events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly("Consent events cannot be deleted.")


class LedgerIsAppendOnly(Exception):
    """Raised on any attempt to change or delete a consent event."""
