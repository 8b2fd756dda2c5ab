"""Admin screens: tenancy for staff, read-only ledger, exact identifier search, erasure."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import logged_in, staff_user_of
from customers.models import ConsentEvent, Customer
from customers.tests.factories import (
    ApiUserFactory,
    ConsentEventFactory,
    CustomerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(organisation):
    return logged_in(staff_user_of(organisation, "customers"))


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_staff_see_only_their_organisations_customers(
    staff_client, organisation, other_organisation
):
    mine = CustomerFactory(organisation=organisation, email="mine@example.com")
    CustomerFactory(organisation=other_organisation, email="theirs@example.com")
    page = staff_client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "mine@example.com" in page
    assert "theirs@example.com" not in page
    assert (
        staff_client.get(reverse("admin:customers_customer_change", args=[mine.pk])).status_code
        == 200
    )


def test_staff_get_404_for_another_organisations_customer(staff_client, other_organisation):
    theirs = CustomerFactory(organisation=other_organisation)
    url = reverse("admin:customers_customer_change", args=[theirs.pk])
    # The admin redirects to its index with "doesn't exist" for objects outside the queryset.
    response = staff_client.get(url, follow=True)
    assert theirs.email not in response.content.decode()


def test_superusers_see_every_organisation(superuser_client, organisation, other_organisation):
    CustomerFactory(organisation=organisation, email="mine@example.com")
    CustomerFactory(organisation=other_organisation, email="theirs@example.com")
    page = superuser_client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "mine@example.com" in page and "theirs@example.com" in page


@pytest.mark.parametrize("field", ["email", "uuid", "phone", "correlation_id", "pk"])
def test_customers_are_found_by_exact_identifier(staff_client, organisation, field):
    customer = CustomerFactory(
        organisation=organisation,
        email="Find.Me@example.com",
        phone="+12025550143",
        correlation_id="corr-77",
    )
    CustomerFactory(organisation=organisation, email="other@example.com")
    term = {
        "email": "find.me@EXAMPLE.com",
        "uuid": str(customer.uuid),
        "phone": "(202) 555-0143",
        "correlation_id": "corr-77",
        "pk": str(customer.pk),
    }[field]
    page = staff_client.get(
        reverse("admin:customers_customer_changelist"), {"q": term}
    ).content.decode()
    assert "Find.Me@example.com" in page
    assert "other@example.com" not in page


def test_the_customer_page_shows_its_consent_history(staff_client, organisation):
    event = ConsentEventFactory(
        customer=CustomerFactory(organisation=organisation), kind="email.subscription"
    )
    page = staff_client.get(
        reverse("admin:customers_customer_change", args=[event.customer_id])
    ).content.decode()
    # In words, as the subscriptions app describes its ledger kind.
    assert "Email subscription" in page


def test_consent_events_are_read_only_in_the_admin(staff_client, organisation):
    event = ConsentEventFactory(customer=CustomerFactory(organisation=organisation))
    assert staff_client.get(reverse("admin:customers_consentevent_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:customers_consentevent_add")).status_code == 403
    url = reverse("admin:customers_consentevent_change", args=[event.pk])
    staff_client.post(url, {"kind": "tampered"})
    assert (
        staff_client.post(
            reverse("admin:customers_consentevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    event.refresh_from_db()
    assert event.kind == "preference.opt_in"


def test_consent_events_filter_by_source(staff_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    ConsentEventFactory(customer=customer, source="import", target="from-import")
    ConsentEventFactory(customer=customer, source="api", target="from-api")
    page = staff_client.get(
        reverse("admin:customers_consentevent_changelist"), {"source__exact": "import"}
    ).content.decode()
    assert "from-import" in page and "from-api" not in page


def test_the_erase_action_asks_for_confirmation_first_and_changes_nothing(
    staff_client, organisation
):
    customer = CustomerFactory(organisation=organisation, email="keep.me@example.com")
    response = staff_client.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "erase_customers", "_selected_action": [customer.pk]},
    )
    assert response.status_code == 200
    assert "cannot be undone" in response.content.decode()
    assert "keep.me@example.com" in response.content.decode()
    customer.refresh_from_db()
    assert not customer.is_erased
    assert ConsentEvent.objects.count() == 0


def test_the_erase_action_erases_through_the_service_once_confirmed(staff_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    staff_client.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "erase_customers", "_selected_action": [customer.pk], "confirm": "yes"},
    )
    customer.refresh_from_db()
    assert customer.is_erased
    erased = ConsentEvent.objects.get(kind="customer.erased")
    assert (erased.source, erased.customer_id) == ("admin", customer.pk)
    assert Customer.objects.count() == 1


def test_staff_see_only_their_organisations_api_users(
    staff_client, organisation, other_organisation
):
    ApiUserFactory(username="ours", membership__organisation=organisation)
    ApiUserFactory(username="theirs", membership__organisation=other_organisation)
    page = staff_client.get(reverse("admin:customers_membership_changelist")).content.decode()
    assert "ours" in page and "theirs" not in page


def test_editing_a_customer_records_which_fields_changed(staff_client, organisation):
    customer = CustomerFactory(organisation=organisation, email="edit.me@example.com")
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {**{k: v for k, v in form.initial.items() if v is not None}, "locale": "de-DE"}
    # What the page renders: callable defaults come with a hidden initial value.
    data["data_fields"] = data["initial-data_fields"] = "{}"
    data.update(
        {
            f"{prefix}-{key}": value
            for prefix in _inline_prefixes(staff_client.get(url))
            for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        }
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.locale == "de-DE"
    event = ConsentEvent.objects.get(kind="customer.profile")
    assert (event.target, event.new_value, event.source) == ("updated", ["locale"], "admin")


def _inline_prefixes(response):
    return [formset.formset.prefix for formset in response.context["inline_admin_formsets"]]


def test_the_admin_history_never_holds_the_customers_address(staff_client, organisation):
    from django.contrib.admin.models import LogEntry

    from customers import services
    from customers.ledger import Provenance

    customer = CustomerFactory(organisation=organisation, email="private.person@example.com")
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    page = staff_client.get(url)
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.update({"locale": "de-DE", "data_fields": "{}", "initial-data_fields": "{}"})
    for prefix in _inline_prefixes(page):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    assert staff_client.post(url, data).status_code == 302
    entry = LogEntry.objects.get()
    assert entry.object_repr == f"customer #{customer.pk}"
    assert "Locale" in entry.change_message
    services.customer_erase(customer=customer, provenance=Provenance(source="system"))
    for row in LogEntry.objects.values("object_repr", "change_message"):
        assert "private" not in str(row)


def test_the_admin_history_of_a_suppression_names_no_address(organisation):
    from django.contrib.admin.models import LogEntry

    client = logged_in(staff_user_of(organisation, "subscriptions"))
    response = client.post(
        reverse("admin:subscriptions_suppression_add"),
        {"email": "private.person@example.com", "reason": "Unsubscribed", "date_removed": ""},
    )
    assert response.status_code == 302
    assert "private" not in LogEntry.objects.get().object_repr


def test_staff_see_only_their_own_organisation_in_the_organisation_list(
    organisation, other_organisation
):
    client = logged_in(staff_user_of(organisation, "customers"))
    response = client.get(reverse("admin:customers_organisation_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [organisation]


def test_staff_open_their_own_organisation_but_not_another(organisation, other_organisation):
    client = logged_in(staff_user_of(organisation, "customers"))
    own = client.get(reverse("admin:customers_organisation_change", args=[organisation.pk]))
    assert own.status_code == 200
    other = client.get(reverse("admin:customers_organisation_change", args=[other_organisation.pk]))
    assert other.status_code == 302  # "does not exist": back to the admin index


def test_the_customer_page_shows_the_newest_ledger_events_and_links_the_rest(
    staff_client, organisation
):
    customer = CustomerFactory(organisation=organisation)
    for number in range(25):
        ConsentEventFactory(customer=customer, kind="customer.profile", target=f"t{number:02}")
    page = staff_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    body = page.content.decode()
    assert len(page.context["recent_events"]) == 20
    assert "t24" in body and "t00" not in body
    assert f"?customer__id__exact={customer.pk}" in body


def test_the_ledger_filters_by_customer(staff_client, organisation):
    mine, other = CustomerFactory.create_batch(2, organisation=organisation)
    ConsentEventFactory(customer=mine, target="mine-event")
    ConsentEventFactory(customer=other, target="other-event")
    page = staff_client.get(
        reverse("admin:customers_consentevent_changelist"), {"customer__id__exact": mine.pk}
    ).content.decode()
    assert "mine-event" in page and "other-event" not in page


def test_the_ledger_renders_values_in_words(staff_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    ConsentEventFactory(
        customer=customer, kind="customer.erased", target="", old_value=False, new_value=True
    )
    page = staff_client.get(reverse("admin:customers_consentevent_changelist")).content.decode()
    assert "not erased" in page and ">erased<" in page
    assert "False" not in page


def test_a_changelist_exports_its_current_filter_as_csv(staff_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    ConsentEventFactory(customer=customer, source="import", target="from-import")
    ConsentEventFactory(customer=customer, source="api", target="from-api")
    changelist = reverse("admin:customers_consentevent_changelist")
    assert 'href="export.csv?source__exact=import"' in (
        staff_client.get(changelist, {"source__exact": "import"}).content.decode()
    )
    response = staff_client.get(changelist + "export.csv", {"source__exact": "import"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("occurred at,customer,what changed")
    assert len(lines) == 2 and "from-import" in lines[1]


def test_csv_export_is_scoped_to_the_staff_users_organisation(
    staff_client, organisation, other_organisation
):
    CustomerFactory(organisation=organisation, email="mine@example.com")
    CustomerFactory(organisation=other_organisation, email="theirs@example.com")
    response = staff_client.get(reverse("admin:customers_customer_changelist") + "export.csv")
    body = b"".join(response.streaming_content).decode()
    assert "mine@example.com" in body and "theirs@example.com" not in body


def test_big_changelists_count_with_the_planner_estimate(organisation):
    from customers.admin_base import EstimatedCountPaginator

    queryset = Customer.objects.for_organisation(organisation)
    CustomerFactory.create_batch(3, organisation=organisation)
    paginator = EstimatedCountPaginator(queryset.order_by("pk"), 100)
    assert paginator.count == 3  # small results are counted exactly


@pytest.mark.postgres_only
def test_the_estimate_replaces_count_beyond_the_threshold(organisation, monkeypatch):
    from customers import admin_base

    CustomerFactory.create_batch(3, organisation=organisation)
    monkeypatch.setattr(admin_base.EstimatedCountPaginator, "exact_below", 0)
    paginator = admin_base.EstimatedCountPaginator(Customer.objects.order_by("pk"), 100)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert paginator.count >= 1
    assert [q["sql"].startswith("EXPLAIN") for q in queries.captured_queries] == [True]


def _customer_form_data(page, **changes):
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.update({"data_fields": "{}", "initial-data_fields": "{}", **changes})
    for prefix in _inline_prefixes(page):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("+4412", "not a valid phone number"),
        ("call me", "not a phone number"),
        ("+44 7911 123456", "E.164 form: +447911123456"),
    ],
)
def test_the_admin_refuses_a_phone_number_not_stored_as_valid_e164(
    staff_client, organisation, typed, error
):
    customer = CustomerFactory(organisation=organisation, phone="+447911123456")
    url = reverse("admin:customers_customer_change", args=[customer.pk])

    response = staff_client.post(url, _customer_form_data(staff_client.get(url), phone=typed))

    assert response.status_code == 200
    assert error in str(response.context["adminform"].form.errors["phone"])
    customer.refresh_from_db()
    assert customer.phone == "+447911123456"


def test_the_admin_stores_a_valid_e164_phone_number(staff_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    url = reverse("admin:customers_customer_change", args=[customer.pk])

    response = staff_client.post(
        url, _customer_form_data(staff_client.get(url), phone="+14155550123")
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "+14155550123"
