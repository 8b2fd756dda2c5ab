"""Admin: suppression list (filters, search, add, resubscribe actions), channel subscriptions."""

import re

import pytest
from django.contrib import admin
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from conftest import logged_in, staff_user_of
from customers.ledger import Provenance
from customers.models import ConsentEvent, Customer
from customers.services import customer_erase
from customers.tests.factories import CustomerFactory
from subscriptions.admin import ChannelSubscriptionInline
from subscriptions.models import ChannelSubscription, Suppression
from subscriptions.tests.factories import (
    ChannelSubscriptionFactory,
    SuppressionFactory,
    email_status,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:subscriptions_suppression_changelist"


@pytest.fixture
def staff_user(organisation):
    return staff_user_of(organisation, "subscriptions", "customers")


@pytest.fixture
def staff_client(staff_user):
    return logged_in(staff_user)


def test_staff_see_only_their_organisations_suppressions(
    staff_client, organisation, other_organisation
):
    SuppressionFactory(organisation=organisation, email="mine@example.com")
    SuppressionFactory(organisation=other_organisation, email="theirs@example.com")
    page = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert "mine@example.com" in page
    assert "theirs@example.com" not in page


def test_the_list_filters_by_reason(staff_client, organisation):
    SuppressionFactory(organisation=organisation, email="unsub@example.com")
    SuppressionFactory(organisation=organisation, email="bounce@example.com", reason="HardBounced")
    page = staff_client.get(reverse(CHANGELIST), {"reason__exact": "HardBounced"}).content.decode()
    assert "bounce@example.com" in page
    assert "unsub@example.com" not in page


def test_search_finds_an_erased_address_by_its_hash(staff_client, organisation, customer):
    SuppressionFactory(organisation=organisation, email=customer.email)
    SuppressionFactory(organisation=organisation, email="other@example.com")
    customer_erase(customer=customer, provenance=Provenance(source="system"))
    page = staff_client.get(reverse(CHANGELIST), {"q": "John.Smith@emailsim.io"}).content.decode()
    assert "erased: hash only" in page
    assert "other@example.com" not in page


def test_adding_in_the_admin_goes_through_the_service(staff_client, organisation, customer):
    response = staff_client.post(
        reverse("admin:subscriptions_suppression_add"),
        {
            "email": "John.Smith@emailsim.io",
            "reason": "HardBounced",
            "date_removed_0": "",
            "date_removed_1": "",
        },
    )
    assert response.status_code == 302
    entry = Suppression.objects.get(organisation=organisation)
    assert (entry.email, entry.reason) == ("john.smith@emailsim.io", "HardBounced")
    event = ConsentEvent.objects.get(kind="email.suppression")
    assert (event.customer_id, event.source) == (customer.pk, "admin")


def test_resubscribe_without_challenge_lifts_unsubscribes_and_refuses_bounces(
    staff_client, organisation, customer
):
    unsub = SuppressionFactory(organisation=organisation, email=customer.email)
    bounce = SuppressionFactory(organisation=organisation, reason="HardBounced")
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "resubscribe_without_challenge", "_selected_action": [unsub.pk, bounce.pk]},
        follow=True,
    )
    assert "Refused 1" in response.content.decode()
    assert list(Suppression.objects.values_list("pk", flat=True)) == [bounce.pk]
    assert email_status(customer) == "Subscribed"
    assert ConsentEvent.objects.get(kind="email.suppression").source == "admin"


def test_resubscribe_with_challenge_sends_the_email(
    staff_client, organisation, customer, django_capture_on_commit_callbacks
):
    entry = SuppressionFactory(organisation=organisation, email=customer.email)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse(CHANGELIST),
            {"action": "resubscribe_with_challenge", "_selected_action": [entry.pk]},
        )
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert Suppression.objects.filter(pk=entry.pk).exists()  # until confirmed


def test_changing_a_channel_subscription_goes_through_the_service(staff_client, customer):
    row = ChannelSubscriptionFactory(customer=customer)
    url = reverse("admin:subscriptions_channelsubscription_change", args=[row.pk])
    assert staff_client.post(url, {"status": "OPT_OUT"}).status_code == 302
    row.refresh_from_db()
    assert row.status == "OPT_OUT"
    event = ConsentEvent.objects.get(kind="channel.subscription")
    assert (event.target, event.old_value, event.new_value) == (
        "email:LOYALTY",
        "OPT_IN",
        "OPT_OUT",
    )


def test_staff_cannot_open_another_organisations_channel_subscription(
    staff_client, other_organisation
):
    row = ChannelSubscriptionFactory(customer=CustomerFactory(organisation=other_organisation))
    url = reverse("admin:subscriptions_channelsubscription_change", args=[row.pk])
    response = staff_client.get(url, follow=True)
    assert row.customer.email not in response.content.decode()


def test_the_customer_page_inline_shows_channel_subscriptions_read_only(staff_user, customer):
    ChannelSubscriptionFactory(customer=customer)
    request = RequestFactory().get("/")
    request.user = staff_user
    inline = ChannelSubscriptionInline(Customer, admin.site)
    assert not inline.has_add_permission(request, customer)
    assert not inline.has_change_permission(request, customer)
    formset = inline.get_formset(request, customer)(instance=customer)
    assert [form.instance.status for form in formset.forms] == [ChannelSubscription.Status.OPT_IN]


def test_the_customer_page_shows_channel_subscriptions(admin_client, organisation):
    from customers.tests.factories import CustomerFactory
    from subscriptions.models import ChannelSubscription

    customer = CustomerFactory(organisation=organisation)
    ChannelSubscription.objects.create(
        customer=customer, channel="sms", programme="default", status="OPT_OUT"
    )
    page = admin_client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()
    assert "Channel subscriptions" in page
    assert "OPT_OUT" in page


def test_suppression_rows_link_to_their_customer(staff_client, organisation):
    customer = CustomerFactory(organisation=organisation, email="ada@example.com")
    SuppressionFactory(organisation=organisation, email="Ada@example.com")
    SuppressionFactory(organisation=organisation, email="nobody@example.com")
    body = staff_client.get(reverse("admin:subscriptions_suppression_changelist")).content.decode()
    assert reverse("admin:customers_customer_change", args=[customer.pk]) in body
    assert len(re.findall(r'href="/admin/customers/customer/\d+/change/"', body)) == 1


def test_the_customer_page_summarises_suppression_challenge_and_programmes(
    staff_client, organisation
):
    from customers.ledger import Change, record_change

    customer = CustomerFactory(organisation=organisation, email="ada@example.com")
    SuppressionFactory(organisation=organisation, email="ada@example.com", reason="HardBounced")
    ChannelSubscriptionFactory(customer=customer, status=ChannelSubscription.Status.OPT_OUT)
    from django.db import transaction

    with transaction.atomic():
        record_change(
            organisation=organisation,
            change=Change("email.suppression", "", None, "HardBounced", customer_id=customer.pk),
            provenance=Provenance(source="api"),
        )
    page = staff_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    rows = {
        entry["row"].item: entry
        for section in page.context["consent_summary"]
        for entry in section["rows"]
    }
    suppression = rows["suppression list (ada@example.com)"]
    assert suppression["row"].state == "suppressed: HardBounced" and suppression["row"].blocks
    event = ConsentEvent.objects.get(kind="email.suppression")
    assert suppression["event"] == event
    assert reverse("admin:customers_consentevent_change", args=[event.pk]) in (
        page.content.decode()
    )
    assert rows["Email LOYALTY"]["row"].state == "opted out"
