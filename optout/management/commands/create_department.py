import uuid

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from customers import services as customer_services
from optout import services


class Command(BaseCommand):
    help = (
        "Create a department of an organisation (creating the organisation if missing, like "
        "create_api_user) and print its UUID. Running it again with the same name prints the "
        "existing department's UUID (and updates --phone-region when given)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="Organisation slug")
        parser.add_argument(
            "--name", required=True, help="Department name, unique per organisation"
        )
        parser.add_argument("--uuid", help="Use this UUID (e.g. the one a vendor already uses)")
        parser.add_argument(
            "--phone-region",
            help="ISO 3166 alpha-2 region national phone numbers are read in "
            "(default: the organisation's)",
        )

    def handle(self, *args, organisation, name, uuid: str | None, phone_region, **options):
        try:
            department_uuid = uuid_or_none(uuid)
            org = customer_services.organisation_get_or_create(slug=organisation)
            department, _ = services.department_create_or_update(
                organisation=org,
                name=name,
                department_uuid=department_uuid,
                phone_region=phone_region,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except services.DepartmentConflict as exc:
            raise CommandError(str(exc)) from exc
        # Only the UUID on stdout, so scripts can capture it.
        self.stdout.write(str(department.uuid))


def uuid_or_none(value: str | None):
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise CommandError(f"--uuid {value!r} is not a UUID.") from exc
