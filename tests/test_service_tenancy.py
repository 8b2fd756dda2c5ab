"""Services refuse another organisation's preference, customer or department whoever calls them,
and the admin offers only the edited object's organisation's choices, to superusers too."""

import uuid

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from customers.ledger import Provenance
from customers.models import ConsentEvent, Customer
from customers.services import customer_save
from customers.tenancy import OutsideOrganisation
from customers.tests.factories import CustomerFactory, UserFactory
from optout.services import StatusItem, optout_status_update
from optout.tests.factories import DepartmentFactory
from preferences.admin import CustomerPreferenceOptInInline
from preferences.models import Preference, PreferenceOptIn
from preferences.services import (
    OptInItem,
    preference_create,
    preference_opt_ins_apply,
    preference_opt_ins_set,
)
from preferences.tests.factories import CategoryFactory, PreferenceFactory

pytestmark = pytest.mark.django_db

PROVENANCE = Provenance(source="admin", detail="test")


@pytest.fixture
def customer(organisation):
    return CustomerFactory(organisation=organisation)


@pytest.fixture
def ours(organisation):
    return PreferenceFactory(organisation=organisation, public_name="Ours")


@pytest.fixture
def theirs(other_organisation):
    return PreferenceFactory(organisation=other_organisation, public_name="Theirs")


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


def test_opting_in_to_another_organisations_preference_is_refused(customer, ours, theirs):
    with pytest.raises(OutsideOrganisation):
        preference_opt_ins_set(
            customer=customer, states={ours.pk: True, theirs.pk: True}, provenance=PROVENANCE
        )
    assert not PreferenceOptIn.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_opting_in_another_organisations_customer_is_refused(
    organisation, ours, other_organisation
):
    stranger = CustomerFactory(organisation=other_organisation)
    with pytest.raises(OutsideOrganisation):
        preference_opt_ins_apply(
            organisation=organisation,
            items=[OptInItem(stranger.pk, ours.pk, True)],
            provenance=PROVENANCE,
        )
    assert not PreferenceOptIn.objects.exists()


def test_a_category_of_another_organisation_is_refused(organisation, other_organisation):
    category = CategoryFactory(organisation=other_organisation)
    with pytest.raises(OutsideOrganisation):
        preference_create(
            organisation=organisation,
            public_name="X",
            private_name="X",
            is_preference=True,
            category=category,
        )
    assert not Preference.objects.filter(public_name="X").exists()


def test_an_opt_out_linked_to_another_organisations_customer_is_refused(
    organisation, other_organisation
):
    department = DepartmentFactory(organisation=organisation)
    stranger = CustomerFactory(organisation=other_organisation)
    with pytest.raises(OutsideOrganisation):
        optout_status_update(
            department=department,
            items=[StatusItem("EMAIL", "a@example.com", False, customer_id=stranger.pk)],
            event="UNSUBSCRIBE",
            update_type="OPT_OUT",
            message_uuid=uuid.uuid4(),
            process_synchronously=True,
            provenance=PROVENANCE,
        )
    assert not ConsentEvent.objects.exists()


def test_a_customer_never_moves_to_another_organisation(customer, other_organisation):
    customer.organisation = other_organisation
    with pytest.raises(OutsideOrganisation):
        customer_save(customer=customer, changed_fields=["organisation"], provenance=PROVENANCE)


# The admin ---------------------------------------------------------------------------------------
def test_a_customers_organisation_is_read_only_for_superusers(superuser, customer):
    client = Client()
    client.force_login(superuser)
    response = client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    assert "organisation" not in response.context["adminform"].form.fields


def test_the_customer_inline_offers_only_the_customers_organisations_preferences(
    superuser, customer, ours, theirs
):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    inline = CustomerPreferenceOptInInline(Customer, admin.site)
    field = inline.get_formset(request, customer).form.base_fields["preference"]
    assert list(field.queryset) == [ours]


def test_the_customer_inline_refuses_another_organisations_preference(
    superuser, customer, ours, theirs
):
    request = RequestFactory().post("/admin/")
    request.user = superuser
    # A superuser adding a customer is offered every organisation's preferences.
    formset_class = CustomerPreferenceOptInInline(Customer, admin.site).get_formset(request, None)
    assert theirs in formset_class.form.base_fields["preference"].queryset
    prefix = formset_class.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-preference": str(theirs.pk),
        f"{prefix}-0-opted_in": "on",
    }
    formset = formset_class(data, instance=customer, prefix=prefix)
    assert not formset.is_valid()
    assert "another organisation" in str(formset.errors)
    assert not PreferenceOptIn.objects.exists()


def test_a_superuser_adding_a_preference_cannot_use_another_organisations_category(
    superuser, organisation, other_organisation
):
    category = CategoryFactory(organisation=other_organisation)
    client = Client()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:preferences_preference_add"),
        {
            "organisation": organisation.pk,
            "public_name": "X",
            "private_name": "X",
            "is_preference": "on",
            "category": category.pk,
            "order": "0",
            "is_public": "on",
        },
    )
    assert response.status_code == 200
    assert "another organisation" in str(response.context["adminform"].form.errors)
    assert not Preference.objects.filter(public_name="X").exists()
