import uuid
from collections import Counter

from customers.importing import ImportCommand, RowRejected, parse_bool
from optout import selectors, services
from optout.models import CommunicationType, Department, Event


class Command(ImportCommand):
    help = (
        "Import communication opt-out statuses per department (CSV or JSON Lines) with columns "
        "department (UUID), communication_type (EMAIL/SMS/PHONE), communication_value, "
        "ok_to_communicate, event, customer_uuid. Idempotent; a later row for an address wins."
    )
    columns = (
        "department",
        "communication_type",
        "communication_value",
        "ok_to_communicate",
        "event",
        "customer_uuid",
    )
    required_columns = (
        "department",
        "communication_type",
        "communication_value",
        "ok_to_communicate",
    )

    def parse_record(self, data, context):
        department = self._department(data.get("department"), context)
        kind = str(data.get("communication_type", "")).strip().upper()
        if kind not in CommunicationType.values:
            raise RowRejected(
                f"communication_type: {data.get('communication_type')!r} is not one of "
                f"{', '.join(CommunicationType.values)}."
            )
        if "communication_value" not in data:
            raise RowRejected("communication_value: missing.")
        try:
            value = services.normalise_communication_value(
                kind, str(data["communication_value"]), region=department.region
            )
        except services.InvalidCommunicationValue as exc:
            raise RowRejected(f"communication_value: {exc}") from exc
        if "ok_to_communicate" not in data:
            raise RowRejected("ok_to_communicate: missing.")
        ok = parse_bool(data["ok_to_communicate"], "ok_to_communicate")
        event = str(data.get("event", "")).strip()
        if event and event not in Event.values:
            raise RowRejected(f"event: {event!r} is not one of the seed's events.")
        customer_uuid = None
        if "customer_uuid" in data:
            try:
                customer_uuid = uuid.UUID(str(data["customer_uuid"]).strip())
            except ValueError as exc:
                raise RowRejected(
                    f"customer_uuid: {data['customer_uuid']!r} is not a UUID."
                ) from exc
        item = services.StatusItem(
            communication_type=kind, communication_value=value, ok_to_communicate=ok
        )
        return (department, event, item, customer_uuid)

    def apply_batch(self, items, context):
        wanted = {customer_uuid for *_, customer_uuid in items if customer_uuid}
        # One query per batch for every customer it names.
        known = selectors.customer_ids_by_uuid(
            organisation=context.organisation, customer_uuids=wanted
        )
        rows = []
        for entry in items:
            department, event, item, customer_uuid = entry
            if customer_uuid is not None:
                if customer_uuid not in known:
                    self.reject_later(entry, "customer_uuid: no such customer.")
                    continue
                item = services.StatusItem(
                    communication_type=item.communication_type,
                    communication_value=item.communication_value,
                    ok_to_communicate=item.ok_to_communicate,
                    customer_id=known[customer_uuid],
                )
            rows.append((department, event, item))
        if not rows:
            return Counter()
        return services.optout_statuses_import(rows=rows, provenance=context.provenance)

    def _department(self, value, context) -> Department:
        """The organisation's department by UUID, looked up once per import."""
        cache = context.state.setdefault("departments", {})
        key = str(value or "").strip()
        if key not in cache:
            try:
                cache[key] = (
                    Department.objects.for_organisation(context.organisation)
                    .select_related("organisation")
                    .filter(uuid=uuid.UUID(key))
                    .first()
                )
            except ValueError:
                cache[key] = None
        if cache[key] is None:
            raise RowRejected(f"department: no department {value!r} in this organisation.")
        return cache[key]
