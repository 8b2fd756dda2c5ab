from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from customers import services


class Command(BaseCommand):
    help = (
        "Create (or update) an API user of an organisation, creating the organisation if missing. "
        "With --token, also issue a bearer token and print it once as 'token: <key>'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="Organisation slug")
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument(
            "--read-only", action="store_true", help="May read but not change anything"
        )
        parser.add_argument("--token", action="store_true", help="Also issue a bearer token")

    def handle(self, *args, organisation, username, password, read_only, token, **options):
        try:
            org = services.organisation_get_or_create(slug=organisation)
            user = services.api_user_create_or_update(
                organisation=org, username=username, password=password, read_only=read_only
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except services.UserInAnotherOrganisation as exc:
            raise CommandError(str(exc)) from exc
        role = "read-only" if read_only else "read-write"
        self.stdout.write(f"API user {username} ({role}) in organisation {org.slug}.")
        if token:
            _, key = services.api_token_issue(user=user, name="create_api_user")
            self.stdout.write(f"token: {key}")
