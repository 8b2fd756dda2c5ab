"""Every admin screen opens for a staff user of one organisation (not a superuser).

The data is the demo organisation's, which has rows of every kind; the screens are generated from
the admin registry, so a new model admin is covered automatically.
"""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from conftest import logged_in
from customers.management.commands.seed_demo import OUR_APPS as OUR_APPS_LIST
from customers.models import Customer, Organisation

pytestmark = pytest.mark.django_db

OUR_APPS = set(OUR_APPS_LIST)
# Our apps' screens (Django's own user and group screens are for superusers), sorted so that
# test ids are stable under pytest -n.
MODEL_ADMINS = sorted(
    (item for item in admin.site._registry.items() if item[0]._meta.app_label in OUR_APPS),
    key=lambda item: item[0]._meta.label,
)


@pytest.fixture
def demo_staff(django_user_model):
    from io import StringIO

    call_command("seed_demo", stdout=StringIO())
    user = django_user_model.objects.get(username="demo-admin")
    assert user.is_staff and not user.is_superuser
    return logged_in(user)


@pytest.mark.parametrize(
    "model, model_admin", MODEL_ADMINS, ids=[m._meta.label for m, _ in MODEL_ADMINS]
)
def test_every_changelist_change_page_and_export_opens_for_staff(demo_staff, model, model_admin):
    prefix = f"{model._meta.app_label}_{model._meta.model_name}"
    changelist = demo_staff.get(reverse(f"admin:{prefix}_changelist"))
    assert changelist.status_code == 200
    if getattr(model_admin, "csv_export", False):
        export = demo_staff.get(reverse(f"admin:{prefix}_export_csv"))
        assert export.status_code == 200
        b"".join(export.streaming_content)
    add = demo_staff.get(reverse(f"admin:{prefix}_add"))
    assert add.status_code in (200, 403)
    obj = changelist.context["cl"].result_list[0] if changelist.context["cl"].result_list else None
    if obj is not None:
        change = demo_staff.get(reverse(f"admin:{prefix}_change", args=[obj.pk]))
        assert change.status_code == 200


def test_the_demo_gives_every_screen_a_row_to_open(demo_staff):
    empty = [
        model._meta.label
        for model, model_admin in MODEL_ADMINS
        if not model_admin.get_queryset(_request_of(demo_staff)).exists()
    ]
    # Tokens and memberships belong to users; the rest must have demo rows so the test above
    # opens a change page of each.
    assert set(empty) <= {"optout.ProcessedMessage"}


def _request_of(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = client.get("/admin/").wsgi_request.user
    return request


def test_the_customer_page_answers_why_with_one_consent_summary(demo_staff):
    organisation = Organisation.objects.get(slug="demo")
    customer = Customer.objects.for_organisation(organisation).order_by("pk").first()
    page = demo_staff.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    body = page.content.decode()
    assert 'id="consent-summary"' in body
    titles = [section["title"] for section in page.context["consent_summary"]]
    assert "Email" in titles
    assert any(title.startswith("Marketing preferences") for title in titles)
