"""The one tenancy mechanism: every query is scoped to the caller's organisation.

Models that belong to an organisation use `OrganisationQuerySet` (directly or as a base) and are
read with `.for_organisation(org)`; API views get `self.organisation` from `OrganisationScopedView`
(customers.api.base) and the admin from `OrganisationScopedAdmin` (customers.admin_base).
Anything looked up outside the caller's organisation is simply not found: a 404, never a leak.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404

from .normalisation import is_canonical_uuid


class OrganisationQuerySet(models.QuerySet):
    organisation_field = "organisation"

    def for_organisation(self, organisation):
        return self.filter(**{self.organisation_field: organisation})


def get_in_organisation_or_404(queryset, organisation, **lookups):
    """The one object matching `lookups` inside `organisation`, else Http404.

    Lookup values that do not fit the field (a malformed UUID, a non-integer id) are "not found"
    too, so callers can pass path parameters straight through.
    """
    for name, value in lookups.items():
        field_name = name.split("__")[0]
        meta = queryset.model._meta
        field = meta.pk if field_name == "pk" else meta.get_field(field_name)
        # The schema promises the 8-4-4-4-12 hex spelling of UUIDs, nothing else.
        uuid_spelling = isinstance(field, models.UUIDField) and isinstance(value, str)
        if uuid_spelling and not is_canonical_uuid(value):
            raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.")
    try:
        return queryset.for_organisation(organisation).get(**lookups)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        # ValidationError: UUIDField rejects a malformed UUID before the query runs.
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from exc


class OutsideOrganisation(Http404):
    """A service was handed an object of another organisation than the one it writes for.

    Services check this whoever calls them (a view, the admin, a command). It is an Http404, so
    every API dialect answers its 404; the admin shows it as a form error.
    """


def organisation_id_of(obj, path: str = "organisation"):
    """The organisation id of `obj`, following a lookup path such as "preference__organisation"."""
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def require_in_organisation(organisation, *objects) -> None:
    """OutsideOrganisation unless every given object (None skipped) belongs to `organisation`.

    For objects with an `organisation` foreign key: customers, preferences, departments, …
    """
    organisation_id = getattr(organisation, "pk", organisation)
    for obj in objects:
        if obj is not None and obj.organisation_id != organisation_id:
            raise OutsideOrganisation(
                f"{obj._meta.verbose_name.capitalize()} {obj.pk} belongs to another organisation."
            )
