"""Tenancy in the admin: staff see and edit only their organisation's rows; superusers see all."""

from django.contrib import admin
from django.db import models
from django.forms.models import BaseInlineFormSet

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


class OrganisationScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows, foreign-key choices and new objects stay in the staff user's org.

    `organisation_field` is the lookup from the model to its Organisation. An object's
    organisation cannot be changed once it exists, and its foreign keys offer only objects of
    that organisation, to superusers too; a superuser adding an object who picks objects of
    another organisation than the one chosen gets a form error (the services refuse it as well).
    """

    organisation_field = "organisation"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        organisation = admin_organisation(request)
        if organisation is None:
            return queryset.none()
        return queryset.filter(**{self.organisation_field: organisation})

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
