"""Email suppression, per-channel subscriptions and resubscribe challenges.

The suppression list is keyed by a keyed hash of the normalised address
(customers.normalisation.address_key), not by customer: an address can be suppressed before any
customer has it, and stays suppressed after the customer is erased (DESIGN §7), when only the
hash is kept. A contact's v2 `status` is derived from this list (see apps.py).
"""

import uuid

from django.db import models

from customers.models import Customer, Organisation
from customers.normalisation import validate_email_address
from customers.tenancy import OrganisationQuerySet


class Suppression(models.Model):
    """One suppressed address of one organisation (rule R3: any opt-out wins)."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "Unsubscribed"
        HARD_BOUNCED = "HardBounced"
        ISP_COMPLAINED = "IspComplained"
        SUPPRESSED = "Suppressed"

    # Reasons that say the mailbox or its owner refused mail: never resubscribed without proof
    # that the person wants it back (the challenge), see docs/subscriptions.md.
    DELIVERY_REASONS = (Reason.HARD_BOUNCED, Reason.ISP_COMPLAINED)

    id = models.BigAutoField(primary_key=True)
    # Not indexed alone: every index below leads with organisation.
    # Checked once per statement, not per row (customers.references).
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="suppressions",
        db_index=False,
        db_constraint=False,
    )
    address_key = models.CharField(max_length=64, editable=False)
    # The normalised address while a customer or caller knows it; NULL once the customer who
    # had it was erased (the hash above still recognises it).
    email = models.CharField(
        max_length=254, null=True, blank=True, validators=[validate_email_address]
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    date_removed = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["-date_removed", "-id"]
        constraints = [
            # One entry per address; also serves the status lookup of every v2 contact answer
            # and the set-based lookups of suppress-contacts and import_suppressions.
            models.UniqueConstraint(
                fields=["organisation", "address_key"], name="suppression_unique_address"
            ),
            models.CheckConstraint(
                condition=~models.Q(email=""), name="suppression_email_null_not_blank"
            ),
        ]
        indexes = [
            # GET /v2/contacts/suppressed-since/{date} (and the admin's date filter).
            models.Index(
                fields=["organisation", "date_removed", "id"], name="suppression_org_date_idx"
            ),
            # GET /v2/contacts/unsubscribed-since/{date}
            models.Index(
                fields=["organisation", "date_removed", "id"],
                name="suppression_unsub_date_idx",
                condition=models.Q(reason="Unsubscribed"),
            ),
        ]

    def __str__(self):
        return f"{self.email or '(erased address)'}: {self.reason}"


class ChannelSubscriptionQuerySet(OrganisationQuerySet):
    organisation_field = "customer__organisation"


class ChannelSubscription(models.Model):
    """A customer's programme-level subscription on one channel (loyalty dialect, seed 001).

    Programme-level: an email OPT_OUT here does not put the address on the suppression list.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        OPT_IN = "OPT_IN"
        OPT_OUT = "OPT_OUT"

    EMAIL_PROGRAMME = "LOYALTY"
    SMS_PROGRAMME = "default"

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="channel_subscriptions", db_index=False
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    programme = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChannelSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["customer", "channel", "programme"]
        constraints = [
            # The upsert target of PUT /client/users/{id}/profile/marketing-subscription; also
            # serves the customer page inline.
            models.UniqueConstraint(
                fields=["customer", "channel", "programme"], name="channel_subscription_unique"
            ),
        ]

    def __str__(self):
        return f"{self.customer} {self.channel}:{self.programme} {self.status}"

    @property
    def target(self) -> str:
        return f"{self.channel}:{self.programme}"


class ResubscribeChallenge(models.Model):
    """A pending double opt-in: a signed, expiring, single-use link sent to the address."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="resubscribe_challenges"
    )
    # Erasure deletes the customer's challenges (they hold the address and data fields).
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="resubscribe_challenges"
    )
    email = models.CharField(max_length=254, validators=[validate_email_address])
    locale = models.CharField(max_length=8)
    return_url = models.URLField(max_length=2000, blank=True)
    # dataFields of the request, applied when the person confirms.
    data_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Resubscribe {self.email} ({'confirmed' if self.confirmed_at else 'pending'})"
