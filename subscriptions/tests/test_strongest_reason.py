"""Rule R7: the strongest suppression reason wins.

HardBounced and IspComplained outrank Unsubscribed and Suppressed: a stronger reason arriving
later replaces a weaker one with one ledger event, a weaker one never downgrades, and only a
confirmed challenge lifts a bounce or complaint."""

import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse

from conftest import assert_nothing_changed, logged_in, staff_user_of
from customers.ledger import Provenance
from customers.models import ConsentEvent
from customers.normalisation import address_key
from customers.tests.importing import run_import, write_file
from subscriptions import services
from subscriptions.models import Suppression
from subscriptions.tests.factories import SuppressionFactory

pytestmark = pytest.mark.django_db

WEAK = ["Unsubscribed", "Suppressed"]
STRONG = ["HardBounced", "IspComplained"]
EARLY = datetime(2020, 1, 1, tzinfo=UTC)
LATE = datetime(2021, 6, 1, tzinfo=UTC)


def suppression_events():
    return list(
        ConsentEvent.objects.filter(kind="email.suppression")
        .order_by("id")
        .values_list("old_value", "new_value")
    )


def add(organisation, email, reason, when=LATE):
    return services.suppressions_add(
        organisation=organisation,
        entries=[services.AddressToSuppress(email=email, reason=reason, date_removed=when)],
        provenance=Provenance(source="system"),
    )


@pytest.mark.parametrize("strong", STRONG)
@pytest.mark.parametrize("weak", WEAK)
def test_a_stronger_reason_replaces_a_weaker_one_with_one_event(
    organisation, customer, weak, strong
):
    SuppressionFactory(
        organisation=organisation, email=customer.email, reason=weak, date_removed=EARLY
    )
    assert add(organisation, customer.email, strong) == (0, 1, 0)
    entry = Suppression.objects.get()
    assert (entry.reason, entry.date_removed) == (strong, LATE)
    event = ConsentEvent.objects.get(kind="email.suppression")
    assert (event.old_value, event.new_value, event.customer_id) == (weak, strong, customer.pk)


@pytest.mark.parametrize("weak", WEAK)
@pytest.mark.parametrize("strong", STRONG)
def test_a_weaker_reason_never_downgrades_a_stronger_one(organisation, customer, weak, strong):
    SuppressionFactory(
        organisation=organisation, email=customer.email, reason=strong, date_removed=EARLY
    )
    with assert_nothing_changed():
        assert add(organisation, customer.email, weak) == (0, 0, 1)


def test_between_equals_the_first_reason_stays(organisation, customer):
    SuppressionFactory(organisation=organisation, email=customer.email, reason="HardBounced")
    with assert_nothing_changed():
        add(organisation, customer.email, "IspComplained")


def test_the_strongest_item_of_one_batch_wins(organisation):
    entries = [
        services.AddressToSuppress(email="x@example.com", reason=reason, date_removed=LATE)
        for reason in ["Unsubscribed", "HardBounced", "Suppressed"]
    ]
    services.suppressions_add(
        organisation=organisation, entries=entries, provenance=Provenance(source="system")
    )
    assert Suppression.objects.get().reason == "HardBounced"
    assert suppression_events() == [(None, "HardBounced")]


def test_an_unknown_address_is_upgraded_under_its_hash(organisation):
    add(organisation, "nobody@example.com", "Unsubscribed")
    add(organisation, "nobody@example.com", "IspComplained")
    upgrade = ConsentEvent.objects.filter(kind="email.suppression").order_by("id").last()
    assert (upgrade.old_value, upgrade.new_value) == ("Unsubscribed", "IspComplained")
    assert upgrade.subject_key == address_key("nobody@example.com")


def test_an_import_upgrades_an_unsubscribe_and_reports_it_updated(tmp_path, organisation, customer):
    SuppressionFactory(organisation=organisation, email=customer.email, reason="Unsubscribed")
    path = write_file(tmp_path, "s.csv", f"email,reason\n{customer.email.upper()},HardBounced\n")
    assert "created 0, updated 1, unchanged 0" in run_import("import_suppressions", path)
    assert Suppression.objects.get().reason == "HardBounced"
    assert suppression_events() == [("Unsubscribed", "HardBounced")]


def test_an_unsubscribe_after_a_bounce_changes_nothing(rw_client, organisation, customer):
    SuppressionFactory(organisation=organisation, email=customer.email, reason="HardBounced")
    with assert_nothing_changed():
        response = rw_client.post(
            "/v2/contacts/unsubscribe", {"email": customer.email}, format="json"
        )
    assert response.status_code == 200
    assert response.json()["reason"] == "HardBounced"


def test_suppress_contacts_after_a_complaint_changes_nothing(rw_client, organisation, customer):
    SuppressionFactory(organisation=organisation, email=customer.email, reason="IspComplained")
    with assert_nothing_changed():
        response = rw_client.put(
            "/v2/contacts/suppress-contacts", [{"id": customer.pk}], format="json"
        )
    assert response.status_code == 200


def test_a_bounce_after_an_unsubscribe_is_not_lifted_without_a_challenge(
    rw_client, organisation, customer
):
    # The case that used to slip through: first Unsubscribed, then HardBounced.
    SuppressionFactory(organisation=organisation, email=customer.email, reason="Unsubscribed")
    add(organisation, customer.email, "HardBounced")
    body = {"unsubscribedContact": {"email": customer.email}}
    with assert_nothing_changed():
        response = rw_client.post("/v2/contacts/resubscribe-with-no-challenge", body, format="json")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "ERROR_CHALLENGE_REQUIRED"


def test_the_admin_cannot_lift_an_upgraded_bounce_without_a_challenge(organisation, customer):
    SuppressionFactory(organisation=organisation, email=customer.email, reason="Suppressed")
    add(organisation, customer.email, "IspComplained")
    client = logged_in(staff_user_of(organisation, "subscriptions", "customers"))
    entry = Suppression.objects.get()
    with assert_nothing_changed():
        response = client.post(
            reverse("admin:subscriptions_suppression_changelist"),
            {"action": "resubscribe_without_challenge", "_selected_action": [entry.pk]},
            follow=True,
        )
    assert "Refused 1" in response.content.decode()


def test_a_confirmed_challenge_lifts_an_upgraded_bounce(
    rw_client, client, organisation, customer, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    SuppressionFactory(organisation=organisation, email=customer.email, reason="Unsubscribed")
    add(organisation, customer.email, "HardBounced")
    body = {"unsubscribedContact": {"email": customer.email}}
    with django_capture_on_commit_callbacks(execute=True):
        response = rw_client.post("/v2/contacts/resubscribe", body, format="json")
    assert response.json()["status"] == "ContactChallenged"
    link = re.search(r"http://testserver(/pages/resubscribe/\S+)", mail.outbox[0].body).group(1)
    client.post(link)
    assert not Suppression.objects.exists()
    assert suppression_events() == [("Unsubscribed", "HardBounced"), ("HardBounced", None)]
