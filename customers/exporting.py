"""Everything held on one customer, as one JSON document (data protection: the right of access).

The customers app is the lowest layer and knows nothing of the apps above it, so each app that
holds data about a customer registers an exporter here in its AppConfig.ready() (as erasure does
with customers.services.register_eraser), naming the document's section it fills and the models
it reads. A test walks Django's app registry and fails when a model with a foreign key to
Customer is not covered by some exporter.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q

from .models import ConsentEvent, Customer
from .normalisation import address_key

Exporter = Callable[[Customer], object]


@dataclass(frozen=True)
class _Registered:
    section: str
    exporter: Exporter
    models: tuple


_exporters: dict[str, _Registered] = {}


def register_exporter(section: str, exporter: Exporter, *, models: Iterable) -> Exporter:
    """Let `exporter(customer)` fill `section` of the export; `models` are the tables it reads."""
    _exporters[section] = _Registered(section, exporter, tuple(models))
    return exporter


def exported_models() -> set:
    """Every model some exporter covers."""
    return {model for registered in _exporters.values() for model in registered.models}


def customer_export(customer: Customer) -> dict:
    """The document: `profile`, each app's sections, and last the `ledger`.

    Values are JSON-ready or plain datetimes/UUIDs (DRF's encoder and DjangoJSONEncoder take
    both). A constant number of queries: one or two per section.
    """
    names = [
        "profile",
        *(name for name in _exporters if name not in ("profile", "ledger")),
        "ledger",
    ]
    return {name: _exporters[name].exporter(customer) for name in names}


def subject_keys(customer: Customer) -> list[str]:
    """Keyed hashes of the customer's addresses: how rows about them without a link are found."""
    return [address_key(value) for value in (customer.email_key, customer.phone) if value]


def rows(queryset, fields: list[str]) -> list[dict]:
    """Plain dicts of `fields`, for an exporter."""
    return list(queryset.values(*fields))


# The customers app's own sections ---------------------------------------------------------------
def export_profile(customer: Customer) -> dict:
    return {
        "id": customer.uuid,
        "contactId": customer.pk,
        "email": customer.email,
        "phone": customer.phone,
        "correlationId": customer.correlation_id,
        "firstName": customer.first_name,
        "lastName": customer.last_name,
        "locale": customer.locale,
        "dataFields": customer.data_fields,
        "emailType": customer.email_type,
        "optInType": customer.opt_in_type,
        "createdAt": customer.created_at,
        "updatedAt": customer.updated_at,
        "erasedAt": customer.erased_at,
    }


def export_ledger(customer: Customer) -> list[dict]:
    """The whole ledger of the customer, oldest first, and of their addresses before they had a
    customer record (an address suppressed before the customer was created, say)."""
    events = ConsentEvent.objects.filter(
        Q(customer_id=customer.pk)
        | Q(organisation_id=customer.organisation_id, subject_key__in=subject_keys(customer))
    ).order_by("occurred_at", "id")
    return rows(
        events,
        [
            "id",
            "occurred_at",
            "kind",
            "target",
            "old_value",
            "new_value",
            "source",
            "source_detail",
            "actor",
            "ip_address",
            "user_agent",
            "request_id",
        ],
    )


register_exporter("profile", export_profile, models=[Customer])
register_exporter("ledger", export_ledger, models=[ConsentEvent])
