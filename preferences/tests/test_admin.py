"""Admin: the preference tree, opt-in states with bulk actions, and the customer-page inline."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import logged_in, staff_user_of
from customers.models import ConsentEvent, Customer
from customers.tests.factories import CustomerFactory
from preferences.admin import CustomerPreferenceOptInInline
from preferences.models import Preference, PreferenceOptIn

from .conftest import opt_in_events
from .factories import CategoryFactory, PreferenceFactory, PreferenceOptInFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user(organisation):
    return staff_user_of(organisation, "preferences", "customers")


@pytest.fixture
def staff_client(staff_user):
    return logged_in(staff_user)


def children(category):
    return list(category.preferences.order_by("order").values_list("public_name", "order"))


def test_staff_see_only_their_organisations_preferences(
    staff_client, preference, foreign_preference
):
    page = staff_client.get(reverse("admin:preferences_preference_changelist")).content.decode()
    assert "Weekly" in page
    assert "Theirs" not in page


def test_staff_cannot_open_another_organisations_preference(staff_client, foreign_preference):
    url = reverse("admin:preferences_preference_change", args=[foreign_preference.pk])
    assert staff_client.get(url).status_code == 302  # "doesn't exist" redirect


def test_adding_a_preference_places_it_among_siblings(staff_client, organisation):
    PreferenceFactory(organisation=organisation, public_name="A", order=0)
    response = staff_client.post(
        reverse("admin:preferences_preference_add"),
        {
            "public_name": "N",
            "private_name": "N",
            "is_preference": "on",
            "order": "0",
            "is_public": "on",
        },
    )
    assert response.status_code == 302
    rows = Preference.objects.filter(category=None).order_by("order")
    assert [(p.public_name, p.order, p.organisation_id) for p in rows] == [
        ("N", 0, organisation.pk),
        ("A", 1, organisation.pk),
    ]


def inline_data(category, rows, prefix="preferences"):
    data = {
        "public_name": category.public_name,
        "private_name": category.private_name,
        "order": str(category.order),
        "is_public": "on",
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(sum(1 for r in rows if r.get("id"))),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
        data[f"{prefix}-{index}-category"] = str(category.pk)
    return data


def test_category_inline_reorders_adds_and_deletes(staff_client, organisation):
    category = CategoryFactory(organisation=organisation)
    a = PreferenceFactory(category=category, public_name="A", order=0)
    b = PreferenceFactory(category=category, public_name="B", order=1)
    c = PreferenceFactory(category=category, public_name="C", order=2)
    rows = [
        {"id": str(a.pk), "public_name": "A", "private_name": "A", "is_public": "on", "order": "1"},
        {
            "id": str(b.pk),
            "public_name": "B",
            "private_name": "B",
            "is_public": "on",
            "order": "1",
            "DELETE": "on",
        },
        {"id": str(c.pk), "public_name": "C", "private_name": "C", "is_public": "on", "order": "0"},
        {"public_name": "D", "private_name": "D", "is_public": "on", "order": "5"},
    ]
    response = staff_client.post(
        reverse("admin:preferences_preference_change", args=[category.pk]),
        inline_data(category, rows),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert children(category) == [("C", 0), ("A", 1), ("D", 2)]
    assert Preference.objects.get(public_name="D").organisation == organisation


def test_deleting_a_category_in_the_admin_deletes_its_preferences(
    staff_client, category, preference
):
    response = staff_client.post(
        reverse("admin:preferences_preference_delete", args=[category.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Preference.objects.exists()


# Opt-in states ----------------------------------------------------------------------------------
@pytest.fixture
def states(organisation, preference):
    other = PreferenceFactory(organisation=organisation, public_name="Offers")
    ada = CustomerFactory(organisation=organisation, email="ada@example.com")
    bob = CustomerFactory(organisation=organisation, email="bob@example.com")
    return [
        PreferenceOptInFactory(customer=ada, preference=preference, opted_in=True),
        PreferenceOptInFactory(customer=bob, preference=preference, opted_in=False),
        PreferenceOptInFactory(customer=ada, preference=other, opted_in=True),
    ]


def test_opt_ins_filter_by_preference_and_state(staff_client, states, preference):
    url = reverse("admin:preferences_preferenceoptin_changelist")
    page = staff_client.get(url, {"preference": preference.pk, "opted_in__exact": "1"})
    assert page.status_code == 200
    assert list(page.context["cl"].queryset) == [states[0]]


def test_opt_ins_of_another_organisation_are_hidden(staff_client, foreign_preference):
    PreferenceOptInFactory(preference=foreign_preference)
    page = staff_client.get(reverse("admin:preferences_preferenceoptin_changelist"))
    assert list(page.context["cl"].queryset) == []


@pytest.mark.parametrize("action, expected", [("opt_in", True), ("opt_out", False)])
def test_bulk_actions_go_through_the_ledger(staff_client, states, action, expected):
    response = staff_client.post(
        reverse("admin:preferences_preferenceoptin_changelist"),
        {"action": action, "_selected_action": [str(s.pk) for s in states]},
    )
    assert response.status_code == 302
    assert set(PreferenceOptIn.objects.values_list("opted_in", flat=True)) == {expected}
    events = ConsentEvent.objects.filter(kind="preference.opt_in")
    # Only the rows whose state changed get an event.
    assert events.count() == (1 if expected else 2)
    assert set(events.values_list("source", flat=True)) == {"admin"}


def test_changing_a_state_in_the_admin_is_recorded(staff_client, states):
    state = states[0]
    response = staff_client.post(
        reverse("admin:preferences_preferenceoptin_change", args=[state.pk]), {}
    )
    assert response.status_code == 302
    state.refresh_from_db()
    assert state.opted_in is False
    assert opt_in_events(state.customer) == [(str(state.preference_id), True, False, "admin")]


# The customer-page inline -----------------------------------------------------------------------
def test_customer_inline_saves_through_the_service(staff_user, customer, organisation):
    keep = PreferenceFactory(organisation=organisation, public_name="Keep")
    add = PreferenceFactory(organisation=organisation, public_name="Add")
    existing = PreferenceOptInFactory(customer=customer, preference=keep, opted_in=True)
    request = RequestFactory().post("/admin/customers/customer/")
    request.user = staff_user
    inline = CustomerPreferenceOptInInline(Customer, admin.site)
    formset_class = inline.get_formset(request, customer)
    prefix = formset_class.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-id": str(existing.pk),
        f"{prefix}-0-customer": str(customer.pk),
        f"{prefix}-0-preference": str(keep.pk),
        f"{prefix}-0-opted_in": "",
        f"{prefix}-1-customer": str(customer.pk),
        f"{prefix}-1-preference": str(add.pk),
        f"{prefix}-1-opted_in": "on",
    }
    formset = formset_class(data, instance=customer, prefix=prefix)
    assert formset.is_valid(), formset.errors
    formset.save()

    states = dict(PreferenceOptIn.objects.values_list("preference_id", "opted_in"))
    assert states == {keep.pk: False, add.pk: True}
    assert sorted(opt_in_events(customer)) == sorted(
        [(str(keep.pk), True, False, "admin"), (str(add.pk), False, True, "admin")]
    )


def test_customer_inline_offers_only_our_preferences(
    staff_user, organisation, category, preference, foreign_preference
):
    request = RequestFactory().get("/admin/")
    request.user = staff_user
    inline = CustomerPreferenceOptInInline(Customer, admin.site)
    field = inline.get_formset(request, None).form.base_fields["preference"]
    assert list(field.queryset) == [preference]


def test_the_customer_page_shows_preference_states(admin_client, organisation):
    customer = CustomerFactory(organisation=organisation)
    page = admin_client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()
    assert "Marketing preferences (no row: opted out)" in page
    assert "preference_opt_ins-TOTAL_FORMS" in page


def test_the_preference_list_shows_subscriber_counts_in_one_query(staff_client, organisation):

    popular, quiet = PreferenceFactory.create_batch(2, organisation=organisation)
    for customer in CustomerFactory.create_batch(3, organisation=organisation):
        PreferenceOptInFactory(customer=customer, preference=popular, opted_in=True)
    PreferenceOptInFactory(preference=quiet, opted_in=False)
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(reverse("admin:preferences_preference_changelist"))
    # The counts come with the page's rows: no query per preference.
    assert not any(
        "preferences_preferenceoptin" in q["sql"]
        for q in queries.captured_queries
        if 'preferences_preference"' not in q["sql"]
    )
    counts = {row.pk: row.subscriber_count or 0 for row in response.context["cl"].result_list}
    assert counts[popular.pk] == 3 and counts[quiet.pk] == 0


def test_the_opt_in_list_finds_a_customer_by_email(staff_client, organisation):

    preference = PreferenceFactory(organisation=organisation)
    mine = PreferenceOptInFactory(
        customer=CustomerFactory(organisation=organisation, email="Ada@Example.com"),
        preference=preference,
    )
    PreferenceOptInFactory(
        customer=CustomerFactory(organisation=organisation), preference=preference
    )
    response = staff_client.get(
        reverse("admin:preferences_preferenceoptin_changelist"), {"q": "ada@example.COM"}
    )
    assert [row.pk for row in response.context["cl"].result_list] == [mine.pk]
