"""Marketing preferences, their categories, and each customer's opt-in state (rule R2).

One table of opt-ins serves every dialect: the customer marketing preferences routes (seed 000),
the v2 contact preference routes (seed 002), the admin and imports.
"""

from django.db import models

from customers.models import Customer, Organisation
from customers.tenancy import OrganisationQuerySet


class Preference(models.Model):
    """A marketing preference (`is_preference`) or a category of them, one level deep.

    `order` is 0-based among siblings: top-level categories and preferences share one sequence,
    each category's preferences have their own. Services keep it contiguous.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="preferences", db_index=False
    )
    is_preference = models.BooleanField(default=True)
    category = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="preferences",
        limit_choices_to={"is_preference": False},
    )
    public_name = models.CharField(max_length=255)
    private_name = models.CharField(max_length=255)
    order = models.PositiveIntegerField(default=0)
    is_public = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            # One level of nesting: only preferences sit in a category.
            models.CheckConstraint(
                condition=models.Q(is_preference=True) | models.Q(category__isnull=True),
                name="preference_categories_are_top_level",
            ),
        ]
        indexes = [
            # Listing an organisation's tree in order (every preference list route).
            models.Index(
                fields=["organisation", "category", "order"], name="preference_org_tree_idx"
            ),
            # GET /v2/preferences/modified-since/{date}
            models.Index(
                fields=["organisation", "last_modified"], name="preference_org_modified_idx"
            ),
            # GET /customers/customers/{customerId}/marketing-preferences: the organisation's
            # preferences (not categories) paged in id order.
            models.Index(
                fields=["organisation", "id"],
                name="preference_org_prefs_idx",
                condition=models.Q(is_preference=True),
            ),
        ]

    def __str__(self):
        return self.private_name or self.public_name


class PreferenceOptInQuerySet(OrganisationQuerySet):
    organisation_field = "preference__organisation"


class PreferenceOptIn(models.Model):
    """A customer's state for one preference. No row means implicitly opted out."""

    # Both checked once per statement, not per row (customers.references): imports write
    # millions.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="preference_opt_ins",
        db_index=False,
        db_constraint=False,
    )
    preference = models.ForeignKey(
        Preference,
        on_delete=models.CASCADE,
        related_name="opt_ins",
        db_index=False,
        db_constraint=False,
    )
    opted_in = models.BooleanField()
    modified_at = models.DateTimeField()

    objects = PreferenceOptInQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "preference"], name="preference_opt_in_unique"
            ),
        ]
        indexes = [
            # GET /v2/contacts/with-preference/{id}?minContactID=: opted-in contacts by id.
            models.Index(
                fields=["preference", "customer"],
                name="optin_pref_opted_in_idx",
                condition=models.Q(opted_in=True),
            ),
            # GET /v2/contacts/with-preference/{id}/opt-ins-since/{date} when few rows changed
            # since the date: the changed rows, then a sort by contact.
            models.Index(
                fields=["preference", "modified_at", "customer"], name="optin_pref_modified_idx"
            ),
            # GET /v2/contacts/with-preference/{id}/opt-ins-since/{date}?minContactID= when many
            # did: a range scan in contact order from minContactID, the date checked in the
            # index, that stops at the page's 1000th row. The state is in the index too, so the
            # page is read from the index alone (a heap page per row otherwise: 1,735 of the
            # 1,842 buffers of a page at 1,000,000 customers).
            models.Index(
                fields=["preference", "customer", "modified_at"],
                include=["opted_in"],
                name="optin_pref_cust_modified_idx",
            ),
        ]

    def __str__(self):
        return f"{self.customer} {'in' if self.opted_in else 'out'} {self.preference}"
