"""The admin's machinery, written once for every app.

- Tenancy: staff see and edit only their organisation's rows; superusers see all.
- Big tables: an estimated-count paginator, so a changelist over millions of rows opens at once.
- CSV export of any changelist's current filter, streamed in constant memory.
"""

import csv
from functools import cached_property

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import StreamingHttpResponse
from django.urls import path

from .admin_history import NeutralHistoryMixin
from .ledger import Provenance, Source
from .models import Organisation
from .permissions import membership_of
from .tenancy import OutsideOrganisation, organisation_id_of, require_in_organisation

# The organisation whose objects a form being built may offer (request attribute).
_FORM_ORGANISATION = "_admin_form_organisation"


def admin_organisation(request):
    """The staff user's organisation, or None for a superuser (who acts across organisations)."""
    membership = membership_of(request.user)
    return membership.organisation if membership else None


def admin_provenance(request, detail: str) -> Provenance:
    """Provenance for a change made in the admin (services record it on the ledger)."""
    return Provenance.from_request(request, source=Source.ADMIN, detail=detail)


def _choices_organisation(request):
    """Whose objects a foreign-key field may offer: the edited object's organisation (also for
    superusers), else the staff user's; None for a superuser adding an object."""
    organisation_id = getattr(request, _FORM_ORGANISATION, None)
    if organisation_id is not None:
        return organisation_id
    organisation = admin_organisation(request)
    return organisation.pk if organisation else None


def _limit_choices(db_field, request, kwargs) -> None:
    organisation_id = _choices_organisation(request)
    if organisation_id is None and request.user.is_superuser:
        return
    related = db_field.related_model
    if related is Organisation:
        kwargs["queryset"] = Organisation.objects.filter(pk=organisation_id)
    elif hasattr(related.objects, "for_organisation"):
        kwargs["queryset"] = related.objects.for_organisation(organisation_id)


def _check_choices(organisation_id, cleaned_data: dict, add_error, skip=()) -> None:
    """A form error for each chosen object of another organisation than `organisation_id`."""
    for name, value in list(cleaned_data.items()):
        if name in skip or not isinstance(value, models.Model) or isinstance(value, Organisation):
            continue
        if not hasattr(value, "organisation_id"):
            continue
        try:
            require_in_organisation(organisation_id, value)
        except OutsideOrganisation as exc:
            add_error(name, str(exc))


class EstimatedCountPaginator(Paginator):
    """Exact counts for small results, PostgreSQL's planner estimate for big ones.

    `COUNT(*)` over millions of rows takes seconds; the planner's row estimate for the very same
    query (filters included) takes a millisecond and is good enough to page through.
    """

    exact_below = 10_000

    @cached_property
    def count(self):
        queryset = self.object_list
        if isinstance(queryset, QuerySet):
            estimate = planner_row_estimate(queryset)
            if estimate is not None and estimate >= self.exact_below:
                return estimate
        return super().count


def planner_row_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of how many rows `queryset` returns; None elsewhere."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]  # psycopg parses json into Python objects
    return int(plan[0]["Plan"]["Plan Rows"])


def recent_values_filter(field_name: str, *, newest_first: str, sample: int = 10_000):
    """A list filter offering the values of `field_name` seen in the newest `sample` rows.

    Django's own filter for a free-text column reads `SELECT DISTINCT` over the whole table on
    every page load; over millions of rows that takes seconds. Recent values are what staff
    look for, and reading them walks one index.
    """

    class RecentValuesFilter(admin.SimpleListFilter):
        title = field_name.replace("_", " ")
        parameter_name = f"{field_name}__exact"

        def lookups(self, request, model_admin):
            recent = model_admin.get_queryset(request).order_by(newest_first)
            values = set(recent.values_list(field_name, flat=True)[:sample])
            return [(value, value) for value in sorted(values - {None, ""})]

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field_name: value}) if value else queryset

    return RecentValuesFilter


class CsvExportMixin:
    """`<changelist>/export.csv?<the changelist's filters>`: the rows the changelist shows, as CSV.

    The columns are the changelist's; rows stream from a server-side cursor, so an export of
    millions of rows needs no more memory than one of ten.
    """

    csv_export = True

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export_csv"
        view = self.admin_site.admin_view(self.export_csv_view)
        return [path("export.csv", view, name=name), *super().get_urls()]

    def export_csv_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        columns = [name for name in changelist.list_display if name != "action_checkbox"]
        queryset = changelist.get_queryset(request)
        header = [str(label_for_field(name, self.model, self)) for name in columns]
        response = StreamingHttpResponse(
            _csv_lines(header, columns, queryset, self), content_type="text/csv; charset=utf-8"
        )
        filename = f"{self.opts.model_name}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class _Echo:
    def write(self, value):
        return value


def _csv_lines(header, columns, queryset, model_admin):
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for obj in queryset.iterator(chunk_size=2000):
        row = []
        for name in columns:
            _field, _attr, value = lookup_field(name, obj, model_admin)
            row.append("" if value is None else str(value))
        yield writer.writerow(row)


class OrganisationScopedAdmin(NeutralHistoryMixin, CsvExportMixin, admin.ModelAdmin):
    """A ModelAdmin whose rows, foreign-key choices and new objects stay in the staff user's org.

    `organisation_field` is the lookup from the model to its Organisation. An object's
    organisation cannot be changed once it exists, and its foreign keys offer only objects of
    that organisation, to superusers too; a superuser adding an object who picks objects of
    another organisation than the one chosen gets a form error (the services refuse it as well).
    Changelists count with the estimated-count paginator and export their current filter as CSV.
    """

    organisation_field = "organisation"
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        organisation = admin_organisation(request)
        if organisation is None:
            return queryset.none()
        # The primary key, so that the lookup works for "pk" (the organisation screen) too.
        return queryset.filter(**{self.organisation_field: organisation.pk})

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser and self.organisation_field == "organisation":
            filters.insert(0, "organisation")
        return filters

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and self.organisation_field == "organisation":
            exclude.append("organisation")
        return exclude

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if (
            obj is not None
            and request.user.is_superuser
            and self.organisation_field == "organisation"
        ):
            readonly.append("organisation")
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        organisation_id = organisation_id_of(obj, self.organisation_field) if obj else None
        setattr(request, _FORM_ORGANISATION, organisation_id)
        form = super().get_form(request, obj, change=change, **kwargs)
        if self.organisation_field != "organisation":
            return form
        admin_org = admin_organisation(request)

        class ScopedForm(form):
            def clean(self):
                cleaned = super().clean()
                organisation_id = (
                    self.instance.organisation_id
                    or getattr(cleaned.get("organisation"), "pk", None)
                    or getattr(admin_org, "pk", None)
                )
                if organisation_id is not None:
                    _check_choices(organisation_id, cleaned, self.add_error)
                return cleaned

        ScopedForm.__name__ = form.__name__
        return ScopedForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _limit_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change and self.organisation_field == "organisation" and not obj.organisation_id:
            obj.organisation = admin_organisation(request)
        super().save_model(request, obj, form, change)


class ScopedInlineFormSet(BaseInlineFormSet):
    """Refuses (as form errors) chosen objects of another organisation than the parent's."""

    def clean(self):
        super().clean()
        organisation_id = organisation_id_of(self.instance)
        if organisation_id is None:
            return
        for form in self.forms:
            if getattr(form, "cleaned_data", None) and not self._should_delete_form(form):
                _check_choices(
                    organisation_id, form.cleaned_data, form.add_error, skip={self.fk.name}
                )


class ScopedInline:
    """Mixin for inlines: foreign-key choices limited to the parent object's organisation (the
    staff user's when adding), for superusers too; other organisations' objects are refused."""

    formset = ScopedInlineFormSet

    def get_formset(self, request, obj=None, **kwargs):
        setattr(request, _FORM_ORGANISATION, organisation_id_of(obj) if obj else None)
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _limit_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
