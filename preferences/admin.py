"""Admin: the preference tree (categories with their preferences inline, orderable), customers'
opt-in states with bulk opt in / opt out, and an inline of states for the customer page.

Every write goes through preferences.services, so orders stay contiguous and opt-in changes land
on the consent ledger with admin provenance.
"""

from collections import defaultdict

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery

from customers.admin import attach_customer_inline
from customers.admin_base import (
    OrganisationScopedAdmin,
    ScopedInline,
    ScopedInlineFormSet,
    admin_organisation,
    admin_provenance,
)
from customers.admin_display import (
    LedgerKindDisplay,
    SummaryRow,
    attach_customer_summary,
    describe_ledger_kind,
)
from customers.normalisation import normalise_email, parse_id

from . import services
from .models import Preference, PreferenceOptIn


class CategoryPreferencesInline(ScopedInline, admin.TabularInline):
    """The preferences of a category; `order` places them (renumbered contiguously on save)."""

    model = Preference
    fk_name = "category"
    fields = ["public_name", "private_name", "is_public", "order"]
    ordering = ["order", "id"]
    extra = 0
    verbose_name = "preference in this category"
    verbose_name_plural = "preferences in this category"


@admin.register(Preference)
class PreferenceAdmin(OrganisationScopedAdmin):
    list_display = [
        "private_name",
        "public_name",
        "is_preference",
        "category",
        "order",
        "is_public",
        "subscribers",
        "last_modified",
    ]
    list_filter = ["is_preference", "is_public"]
    list_select_related = ["category"]
    search_fields = ["public_name", "private_name"]
    ordering = ["category_id", "order", "id"]
    fields = ["public_name", "private_name", "is_preference", "category", "order", "is_public"]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if request.user.is_superuser and obj is None:
            fields.insert(0, "organisation")
        return fields

    def get_readonly_fields(self, request, obj=None):
        # Turning a category into a preference (or back) would orphan or nest preferences.
        return ["is_preference"] if obj is not None else []

    def get_queryset(self, request):
        # Subscribers per row in the same query: a correlated count per preference, served by
        # optin_pref_opted_in_idx, evaluated for the page's rows only.
        opted_in = (
            PreferenceOptIn.objects.filter(preference=OuterRef("pk"), opted_in=True)
            .order_by()
            .values("preference")
            .annotate(total=Count("*"))
            .values("total")
        )
        return super().get_queryset(request).annotate(subscriber_count=Subquery(opted_in))

    @admin.display(description="subscribers", ordering="subscriber_count")
    def subscribers(self, obj):
        if not obj.is_preference:
            return "—"
        return obj.subscriber_count or 0

    def get_inlines(self, request, obj):
        return [CategoryPreferencesInline] if obj is not None and not obj.is_preference else []

    def save_model(self, request, obj, form, change):
        if change:
            services.preference_update(
                preference=obj,
                public_name=obj.public_name,
                private_name=obj.private_name,
                is_public=obj.is_public,
                category=obj.category,
                order=obj.order if "order" in form.changed_data else None,
            )
            return
        created = services.preference_create(
            organisation=obj.organisation if obj.organisation_id else admin_organisation(request),
            public_name=obj.public_name,
            private_name=obj.private_name,
            is_preference=obj.is_preference,
            is_public=obj.is_public,
            category=obj.category,
            order=obj.order,
        )
        obj.pk, obj.organisation_id, obj.order = created.pk, created.organisation_id, created.order

    def save_formset(self, request, form, formset, change):
        if formset.model is not Preference:
            return super().save_formset(request, form, formset, change)
        category = form.instance
        children = formset.save(commit=False)
        for child in formset.deleted_objects:
            services.preference_delete(
                preference=child, provenance=admin_provenance(request, "admin: delete preference")
            )
        # Placing in target order lets several moves in one save end where they were asked.
        for child in sorted(children, key=lambda c: c.order):
            if child.pk:
                services.preference_update(
                    preference=child,
                    public_name=child.public_name,
                    private_name=child.private_name,
                    is_public=child.is_public,
                    order=child.order,
                )
            else:
                services.preference_create(
                    organisation=category.organisation,
                    public_name=child.public_name,
                    private_name=child.private_name,
                    is_preference=True,
                    is_public=child.is_public,
                    category=category,
                    order=child.order,
                )

    def delete_model(self, request, obj):
        services.preference_delete(
            preference=obj, provenance=admin_provenance(request, "admin: delete preference")
        )

    def delete_queryset(self, request, queryset):
        provenance = admin_provenance(request, "admin: delete preferences")
        for preference in queryset.order_by("is_preference"):  # preferences after categories
            if Preference.objects.filter(pk=preference.pk).exists():
                services.preference_delete(preference=preference, provenance=provenance)


class PreferenceListFilter(admin.SimpleListFilter):
    """The staff user's organisation's preferences (one cheap query, whatever the opt-ins)."""

    title = "preference"
    parameter_name = "preference"

    def lookups(self, request, model_admin):
        preferences = Preference.objects.filter(is_preference=True).select_related("category")
        if not request.user.is_superuser:
            preferences = preferences.for_organisation(admin_organisation(request))
        return [(str(p.pk), f"{p.category} / {p}" if p.category else str(p)) for p in preferences]

    def queryset(self, request, queryset):
        if self.value() and (pk := parse_id(self.value())) is not None:
            return queryset.filter(preference_id=pk)
        return queryset


def _apply_to_rows(request, rows, opted_in: bool, detail: str) -> int:
    """Set `opted_in` on the selected opt-in rows, per organisation, through the service."""
    by_organisation = defaultdict(list)
    for customer_id, preference_id, organisation_id in rows.values_list(
        "customer_id", "preference_id", "preference__organisation_id"
    ):
        by_organisation[organisation_id].append(
            services.OptInItem(customer_id, preference_id, opted_in)
        )
    changed = 0
    for organisation_id, items in by_organisation.items():
        result = services.preference_opt_ins_apply(
            organisation=organisation_id,
            items=items,
            provenance=admin_provenance(request, detail),
        )
        changed += result.created + result.updated
    return changed


@admin.register(PreferenceOptIn)
class PreferenceOptInAdmin(OrganisationScopedAdmin):
    """Customers' states. Rows come from the API, imports and the customer page."""

    organisation_field = "preference__organisation"
    list_display = ["customer", "preference", "opted_in", "modified_at"]
    list_filter = [PreferenceListFilter, "opted_in"]
    search_fields = ["customer__email_key"]  # exact, below
    search_help_text = "Exact customer email."
    list_select_related = ["customer", "preference"]
    show_full_result_count = False
    fields = ["customer", "preference", "opted_in", "modified_at"]
    readonly_fields = ["customer", "preference", "modified_at"]
    actions = ["opt_in", "opt_out"]

    def has_add_permission(self, request):
        return False

    def get_search_results(self, request, queryset, search_term):
        # Exact match on the customer's email key, then the (customer, preference) index.
        email = normalise_email(search_term)
        if not email:
            return queryset, False
        return queryset.filter(customer__email_key=email), False

    def save_model(self, request, obj, form, change):
        services.preference_opt_ins_set(
            customer=obj.customer,
            states={obj.preference_id: obj.opted_in},
            provenance=admin_provenance(request, "admin: change opt-in"),
        )

    def delete_model(self, request, obj):
        # Deleting a state means opting out, recorded like any other change.
        services.preference_opt_ins_set(
            customer=obj.customer,
            states={obj.preference_id: False},
            provenance=admin_provenance(request, "admin: delete opt-in"),
        )

    def delete_queryset(self, request, queryset):
        _apply_to_rows(request, queryset, False, "admin: delete opt-ins")

    @admin.action(description="Opt in the selected customers")
    def opt_in(self, request, queryset):
        changed = _apply_to_rows(request, queryset, True, "admin: bulk opt in")
        self.message_user(request, f"Opted in {changed} state(s).", messages.SUCCESS)

    @admin.action(description="Opt out the selected customers")
    def opt_out(self, request, queryset):
        changed = _apply_to_rows(request, queryset, False, "admin: bulk opt out")
        self.message_user(request, f"Opted out {changed} state(s).", messages.SUCCESS)


class CustomerOptInFormSet(ScopedInlineFormSet):
    """Saves the customer's states through the opt-in service (and so the ledger)."""

    admin_request = None

    def save(self, commit=True):
        states = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if self.can_delete and self._should_delete_form(form):
                if form.instance.pk:
                    states[form.instance.preference_id] = False
                continue
            if form.has_changed():
                states[form.cleaned_data["preference"].pk] = form.cleaned_data["opted_in"]
        if states and commit:
            services.preference_opt_ins_set(
                customer=self.instance,
                states=states,
                provenance=admin_provenance(self.admin_request, "admin: customer preferences"),
            )
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        return []


class CustomerPreferenceOptInInline(ScopedInline, admin.TabularInline):
    """The customer's preference states, for `customers.admin.CustomerAdmin.inlines`."""

    model = PreferenceOptIn
    fk_name = "customer"
    formset = CustomerOptInFormSet
    fields = ["preference", "opted_in", "modified_at"]
    readonly_fields = ["modified_at"]
    extra = 0
    verbose_name = "preference state"
    verbose_name_plural = "Marketing preferences (no row: opted out)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("preference")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.admin_request = request
        return formset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "preference":
            field.queryset = field.queryset.filter(is_preference=True)
        return field


attach_customer_inline(CustomerPreferenceOptInInline)


def _preference_names(organisation_id, targets) -> dict[str, str]:
    ids = [int(target) for target in targets if str(target).isdecimal()]
    rows = Preference.objects.filter(organisation_id=organisation_id, pk__in=ids)
    return {str(pk): name for pk, name in rows.values_list("pk", "private_name")}


def _opt_in_summary(customer) -> list[SummaryRow]:
    """Every opt-in the customer holds (no row: opted out), each with the event that set it."""
    states = (
        PreferenceOptIn.objects.filter(customer=customer, opted_in=True)
        .select_related("preference")
        .order_by("preference__private_name")
    )
    rows = [
        SummaryRow(
            section="Marketing preferences (opted in; any other: opted out)",
            item=state.preference.private_name,
            state="opted in",
            since=state.modified_at,
            ledger=("preference.opt_in", str(state.preference_id)),
        )
        for state in states
    ]
    if not rows:
        rows.append(
            SummaryRow(
                section="Marketing preferences (opted in; any other: opted out)",
                item="every preference",
                state="opted out",
                blocks=True,
            )
        )
    return rows


describe_ledger_kind(
    "preference.opt_in",
    LedgerKindDisplay(
        "Preference",
        {True: "opted in", False: "opted out"},
        target_names=_preference_names,
    ),
)
attach_customer_summary(_opt_in_summary)
