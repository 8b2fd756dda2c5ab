import importlib
import importlib.util

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from customers import links, services
from customers.models import ApiToken, Membership

DEMO_TOKEN_NAME = "seed_demo"
OUR_APPS = ["customers", "emaillogs", "preferences", "subscriptions", "optout"]


class Command(BaseCommand):
    help = (
        "Create (or refresh) a demo organisation with data from every app, an admin login and "
        "API credentials, and print how to use them. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", default="demo")
        parser.add_argument("--password", default="demo-password-1", help="For every demo login")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    @transaction.atomic
    def handle(self, *args, organisation, password, base_url, **options):
        org = services.organisation_get_or_create(slug=organisation, name="Demo Organisation")
        lines = []
        for label in OUR_APPS:
            app = apps.get_app_config(label)
            if importlib.util.find_spec(f"{app.name}.demo") is not None:
                lines += importlib.import_module(f"{app.name}.demo").seed(org)

        staff = self._staff_user(org, f"{organisation}-admin", password)
        writer = services.api_user_create_or_update(
            organisation=org, username=f"{organisation}-api", password=password
        )
        services.api_user_create_or_update(
            organisation=org, username=f"{organisation}-readonly", password=password, read_only=True
        )
        # A re-run replaces the demo token rather than piling up valid keys nobody holds.
        services.api_tokens_revoke(
            tokens=ApiToken.objects.filter(user=writer, name=DEMO_TOKEN_NAME, revoked_at=None)
        )
        _, key = services.api_token_issue(user=writer, name=DEMO_TOKEN_NAME)

        out = self.stdout.write
        out(self.style.SUCCESS(f"Demo organisation '{org.slug}' is ready:"))
        for line in lines:
            out(f"  - {line}")
        out("")
        out(f"Admin:     {base_url}/admin/  (user {staff.username}, password {password})")
        out(f"API docs:  {base_url}/api/docs/")
        out(
            f"API users: {organisation}-api (read-write) and {organisation}-readonly, password "
            f"{password}"
        )
        out(f"Token:     {key}")
        customer = org.customers.live().order_by("pk").first()
        if customer is not None:
            url = f"{base_url}/consent/v1/customers/{customer.uuid}"
            out(f"Try:       curl -u {organisation}-api:{password} {url}")
            out(f"           curl -H 'Authorization: Bearer {key}' {url}/consent-events")
            out(f"           curl -u {organisation}-readonly:{password} {url}/links")
            # May we send? Read-only users may ask too.
            out(
                f"           curl -u {organisation}-readonly:{password} -H 'Content-Type: "
                f'application/json\' -d \'{{"channel": "email", "recipients": '
                f'[{{"email": "{customer.email}"}}, {{"contactId": {customer.pk}}}]}}\' '
                f"{base_url}/consent/v1/decisions"
            )
        self._print_page_links(org, base_url)

    def _print_page_links(self, org, base_url):
        """The hosted pages of two demo customers (one English, one German), on `base_url`."""
        out = self.stdout.write
        customers = org.customers.live().filter(email__isnull=False)
        for customer in [
            customers.filter(locale__istartswith="en").order_by("pk").first(),
            customers.filter(locale__istartswith="de").order_by("pk").first(),
        ]:
            if customer is None:
                continue
            urls = links.customer_links(customer)
            on_base = lambda url: base_url + url.removeprefix(settings.SITE_URL)  # noqa: E731
            out(f"Pages of {customer.email} ({customer.locale}):")
            out(f"  preference centre: {on_base(urls['preferenceCentreUrl'])}")
            out(f"  unsubscribe:       {on_base(urls['unsubscribeUrl'])}")

    def _staff_user(self, org, username, password):
        """A staff user scoped to the organisation, allowed everything in our apps' admin."""
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username=username)
        user.is_staff = True
        user.set_password(password)
        user.save()
        Membership.objects.update_or_create(
            user=user, defaults={"organisation": org, "role": Membership.Role.READ_WRITE}
        )
        user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=OUR_APPS))
        return user
