import json
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from customers.exporting import customer_export
from customers.models import Customer, Organisation
from customers.normalisation import normalise_email


class Command(BaseCommand):
    help = (
        "Print (or write to --output) everything held on one customer as one JSON document: "
        "profile, preference states, suppression, channel subscriptions, opt-out statuses, "
        "resubscribe challenges, email logs and the whole consent ledger."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="Organisation slug")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--email", help="The customer's email address (any case)")
        who.add_argument("--uuid", help="The customer's UUID (customerId)")
        parser.add_argument("--output", help="Write the JSON here instead of printing it")

    def handle(self, *args, organisation, email, uuid: str | None, output, **options):
        org = Organisation.objects.filter(slug=organisation).first()
        if org is None:
            raise CommandError(f"No organisation {organisation!r}.")
        customers = Customer.objects.for_organisation(org).live()
        if email is not None:
            customer = customers.filter(email_key=normalise_email(email) or "").first()
        else:
            customer = customers.filter(uuid=_uuid_or_error(uuid)).first()
        if customer is None:
            raise CommandError("No such customer in this organisation.")
        text = json.dumps(customer_export(customer), cls=DjangoJSONEncoder, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text + "\n")
            self.stdout.write(f"Wrote the export of customer {customer.uuid} to {output}.")
        else:
            self.stdout.write(text)


def _uuid_or_error(value: str):
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a UUID.") from exc
