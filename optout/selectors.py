"""Reads shared by the opt-out views, the admin and commands."""

from django.db.models import Q

from customers.models import ConsentEvent, Customer
from customers.tenancy import get_in_organisation_or_404

from .models import CommunicationStatus, Department, ProcessedMessage, value_forms


def department_by_uuid_or_404(*, organisation, department_uuid) -> Department:
    """The organisation's department with this UUID (with its organisation), else Http404."""
    return get_in_organisation_or_404(
        Department.objects.select_related("organisation"), organisation, uuid=department_uuid
    )


def customer_ids_by_uuid(*, organisation, customer_uuids) -> dict:
    """{uuid: id} of the organisation's (not erased) customers among `customer_uuids`."""
    if not customer_uuids:
        return {}
    return dict(
        Customer.objects.for_organisation(organisation)
        .live()
        .filter(uuid__in=customer_uuids)
        .values_list("uuid", "id")
    )


def message_already_received(*, department, message_uuid) -> bool:
    return ProcessedMessage.objects.filter(
        department=department, message_uuid=message_uuid
    ).exists()


def statuses_for_value(*, department, values_by_type: dict[str, str]):
    """The department's statuses of one address, per type (communication_status_unique)."""
    forms = value_forms(set(values_by_type.values()))
    rows = CommunicationStatus.objects.filter(
        department=department, communication_value__in=forms
    ).select_related("customer")
    found = []
    for row in rows:
        # An erased customer's address is stored hashed; the caller knows it, so show it.
        row.communication_value = forms[row.communication_value]
        if values_by_type.get(row.communication_type) == row.communication_value:
            found.append(row)
    return sorted(found, key=lambda row: row.communication_type)


def status_history(*, status: CommunicationStatus):
    """Ledger events of this status's address in its department, newest first."""
    return ConsentEvent.objects.filter(
        organisation_id=status.department.organisation_id,
        subject_key=status.subject_key,
        kind="optout.status",
        target=f"{status.department.uuid}:{status.communication_type}",
    ).order_by("-occurred_at", "-id")


def statuses_of_customer(customer: Customer) -> list[CommunicationStatus]:
    """Every department's statuses of the customer: linked to them, or for their email or phone."""
    values = {value for value in (customer.email_key, customer.phone) if value}
    forms = value_forms(values) if values else {}
    match = Q(customer=customer)
    if forms:
        match |= Q(communication_value__in=forms)
    rows = (
        CommunicationStatus.objects.filter(department__organisation_id=customer.organisation_id)
        .filter(match)
        .select_related("department")
        .order_by("department__name", "communication_type")
    )
    found = []
    for row in rows:
        row.communication_value = forms.get(row.communication_value, row.communication_value)
        found.append(row)
    return found


def export_opt_out_statuses(customer: Customer) -> list[dict]:
    """statuses_of_customer as plain data, for the export (customers.exporting)."""
    return [
        {
            "department": str(row.department.uuid),
            "departmentName": row.department.name,
            "communicationType": row.communication_type,
            "communicationValue": row.communication_value,
            "okToCommunicate": row.ok_to_communicate,
            "lastEvent": row.last_event,
            "updateType": row.update_type,
            "createdAt": row.created_at,
            "updatedAt": row.updated_at,
        }
        for row in statuses_of_customer(customer)
    ]
