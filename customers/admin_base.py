"""Tenancy in the admin: staff see and edit only their organisation's rows; superusers see all."""

from django.contrib import admin

from .ledger import Provenance, Source
from .models import Organisation
from .permissions import membership_of


def admin_organisation(request):
    """The staff user's organisation, or None for a superuser (who acts across organisations)."""
    membership = membership_of(request.user)
    return membership.organisation if membership else None


def admin_provenance(request, detail: str) -> Provenance:
    """Provenance for a change made in the admin (services record it on the ledger)."""
    return Provenance.from_request(request, source=Source.ADMIN, detail=detail)


class OrganisationScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows, foreign-key choices and new objects stay in the staff user's org.

    `organisation_field` is the lookup from the model to its Organisation.
    """

    organisation_field = "organisation"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        organisation = admin_organisation(request)
        if organisation is None:
            return queryset.none()
        # By primary key: `organisation_field` may be the organisation itself ("pk").
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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        organisation = admin_organisation(request)
        if not request.user.is_superuser:
            related = db_field.related_model
            if related is Organisation:
                kwargs["queryset"] = Organisation.objects.filter(
                    pk=getattr(organisation, "pk", None)
                )
            elif hasattr(related.objects, "for_organisation"):
                kwargs["queryset"] = related.objects.for_organisation(organisation)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change and self.organisation_field == "organisation" and not obj.organisation_id:
            obj.organisation = admin_organisation(request)
        super().save_model(request, obj, form, change)


class ScopedInline:
    """Mixin for inlines: foreign-key choices limited to the staff user's organisation."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            related = db_field.related_model
            if hasattr(related.objects, "for_organisation"):
                kwargs["queryset"] = related.objects.for_organisation(admin_organisation(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
