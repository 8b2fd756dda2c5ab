"""v2 contact preferences (seed 002): GET and PUT /v2/contacts/{contactIdentifier}/preferences,
and rule R2 across the two dialects."""

import pytest
from django.utils import timezone

from conftest import assert_nothing_changed
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from preferences.models import Preference, PreferenceOptIn
from preferences.services import _reset_id_sequence

from .conftest import opt_in_events
from .factories import CategoryFactory, PreferenceFactory, PreferenceOptInFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_tree(organisation):
    """The seed's example ids: category 14 with preferences 26 and 19, preference 1027."""
    category = CategoryFactory(organisation=organisation, id=14, order=0)
    PreferenceFactory(category=category, id=26, order=0)
    PreferenceFactory(category=category, id=19, order=1)
    PreferenceFactory(organisation=organisation, id=1027, order=1)
    # Explicit ids: move PostgreSQL's sequence past them so later rows cannot collide.
    _reset_id_sequence()
    return category


SEED_PUT = [
    {
        "id": 14,
        "isPreference": False,
        "preferences": [
            {"id": 26, "isPreference": True, "isOptedIn": True},
            {"id": 19, "isPreference": True, "isOptedIn": False},
        ],
    },
    {"id": 1027, "isPreference": True, "isOptedIn": True},
]


def states(customer):
    return dict(
        PreferenceOptIn.objects.filter(customer=customer).values_list("preference_id", "opted_in")
    )


def put(client, identifier, body):
    return client.put(f"/v2/contacts/{identifier}/preferences", body, format="json")


# PUT --------------------------------------------------------------------------------------------
def test_put_the_seed_example(rw_client, customer, seed_tree):
    response = put(rw_client, customer.pk, SEED_PUT)

    assert response.status_code == 200
    assert response.json() == {"value": ""}
    # 19 was implicitly opted out already: no row, no event.
    assert states(customer) == {26: True, 1027: True}
    assert sorted(opt_in_events(customer)) == [
        ("1027", False, True, "api"),
        ("26", False, True, "api"),
    ]


def test_put_by_email_in_any_case(rw_client, customer, seed_tree):
    assert put(rw_client, "ADA@Example.com", SEED_PUT).status_code == 200
    assert states(customer)[26] is True


def test_put_again_changes_nothing_and_writes_no_event(rw_client, customer, seed_tree):
    put(rw_client, customer.pk, SEED_PUT)
    put(rw_client, customer.pk, SEED_PUT)
    assert len(opt_in_events(customer)) == 2


def test_put_opts_out(rw_client, customer, seed_tree):
    PreferenceOptInFactory(customer=customer, preference_id=1027)
    put(rw_client, customer.pk, [{"id": 1027, "isPreference": True, "isOptedIn": False}])
    assert states(customer) == {1027: False}
    assert opt_in_events(customer) == [("1027", True, False, "api")]


def test_put_a_whole_category(rw_client, customer, seed_tree):
    put(rw_client, customer.pk, [{"id": 14, "isPreference": False, "isOptedIn": True}])
    assert states(customer) == {26: True, 19: True}


@pytest.mark.parametrize(
    "body",
    [
        {"id": 1027},
        [{"id": 1027, "isPreference": True}],
        [{"id": 1027, "isOptedIn": True}],
        [{"id": "x", "isPreference": True, "isOptedIn": True}],
        [{"id": 1027, "isPreference": True, "isOptedIn": "perhaps"}],
        [{"id": 14, "isPreference": True, "isOptedIn": True}],
        [{"id": 1027, "isPreference": False, "isOptedIn": True}],
        [{"id": 14, "isPreference": False}],
        [
            {
                "id": 14,
                "isPreference": False,
                "preferences": [{"id": 1027, "isPreference": True, "isOptedIn": True}],
            }
        ],
        [
            {"id": 1027, "isPreference": True, "isOptedIn": True},
            {"id": 1027, "isPreference": True, "isOptedIn": False},
        ],
        # R5: one bad item, nothing applied.
        [{"id": 26, "isPreference": True, "isOptedIn": True}, {"id": 10**30}],
        "nonsense",
    ],
)
def test_put_rejects_bad_input_with_a_400_and_changes_nothing(rw_client, customer, seed_tree, body):
    with assert_nothing_changed():
        response = put(rw_client, customer.pk, body)
    assert response.status_code == 400
    assert "message" in response.json()
    assert states(customer) == {}
    assert opt_in_events() == []


def test_put_malformed_json_is_a_400(rw_client, customer, seed_tree):
    with assert_nothing_changed():
        response = rw_client.put(
            f"/v2/contacts/{customer.pk}/preferences", "[{", content_type="application/json"
        )
    assert response.status_code == 400


def test_put_an_unknown_preference_is_a_404_and_changes_nothing(rw_client, customer, seed_tree):
    body = [
        {"id": 26, "isPreference": True, "isOptedIn": True},
        {"id": 999999, "isPreference": True, "isOptedIn": True},
    ]
    assert put(rw_client, customer.pk, body).status_code == 404
    assert states(customer) == {}


def test_put_another_organisations_preference_is_a_404(
    rw_client, customer, seed_tree, foreign_preference
):
    body = [{"id": foreign_preference.pk, "isPreference": True, "isOptedIn": True}]
    assert put(rw_client, customer.pk, body).status_code == 404
    assert not PreferenceOptIn.objects.exists()


@pytest.mark.parametrize(
    "identifier",
    ["999999", "nobody@example.com", "nobody", "9" * 30, "a%00@example.com", "%C3%A9@x"],
)
def test_unknown_contacts_are_a_404(rw_client, seed_tree, identifier):
    assert put(rw_client, identifier, SEED_PUT).status_code == 404
    assert rw_client.get(f"/v2/contacts/{identifier}/preferences").status_code == 404


def test_another_organisations_contact_is_a_404(rw_client, other_organisation, seed_tree):
    theirs = CustomerFactory(organisation=other_organisation, email="theirs@example.com")
    for identifier in (theirs.pk, theirs.email):
        assert put(rw_client, identifier, SEED_PUT).status_code == 404
        assert rw_client.get(f"/v2/contacts/{identifier}/preferences").status_code == 404
    assert not PreferenceOptIn.objects.exists()


# GET --------------------------------------------------------------------------------------------
def test_get_a_contact_of_an_organisation_without_preferences_is_an_empty_tree(rw_client, customer):
    for identifier in (customer.pk, customer.email):
        response = rw_client.get(f"/v2/contacts/{identifier}/preferences")
        assert (response.status_code, response.json()) == (200, [])


def test_get_an_erased_contact_is_a_404(rw_client, customer, seed_tree):
    Customer.objects.filter(pk=customer.pk).update(erased_at=timezone.now())
    for identifier in (customer.pk, customer.email):
        assert rw_client.get(f"/v2/contacts/{identifier}/preferences").status_code == 404


def test_get_the_seed_shape(rw_client, organisation, customer):
    camping = CategoryFactory(organisation=organisation, public_name="Camping", order=0)
    tents = PreferenceFactory(category=camping, public_name="Tents", order=0)
    rucksacks = PreferenceFactory(category=camping, public_name="Rucksacks", order=1)
    top = PreferenceFactory(organisation=organisation, public_name="Football", order=1)
    PreferenceOptInFactory(customer=customer, preference=tents, opted_in=True)

    response = rw_client.get(f"/v2/contacts/{customer.pk}/preferences")

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body] == [camping.pk, top.pk]
    assert body[0]["preferenceCount"] == 2
    assert "isOptedIn" not in body[0]
    assert [(p["id"], p["isOptedIn"], p["order"]) for p in body[0]["preferences"]] == [
        (tents.pk, True, "0"),
        (rucksacks.pk, False, "1"),
    ]
    assert body[1]["isOptedIn"] is False


def test_get_by_email(ro_client, customer, preference):
    assert ro_client.get(f"/v2/contacts/{customer.email}/preferences").status_code == 200


def test_get_query_count_is_constant(
    rw_client, organisation, customer, django_assert_max_num_queries
):
    rw_client.get(f"/v2/contacts/{customer.pk}/preferences")
    for _ in range(3):
        for preference in PreferenceFactory.create_batch(
            4, category=CategoryFactory(organisation=organisation)
        ):
            PreferenceOptInFactory(customer=customer, preference=preference)
    # user with membership and organisation, then the contact and its tree in one statement
    with django_assert_max_num_queries(2):
        assert len(rw_client.get(f"/v2/contacts/{customer.pk}/preferences").json()) == 3
    # by email: the contact, then its tree
    with django_assert_max_num_queries(3):
        assert len(rw_client.get(f"/v2/contacts/{customer.email}/preferences").json()) == 3


# Rule R2: one truth, two dialects ---------------------------------------------------------------
def marketing_url(customer, preference):
    return f"/customers/customers/{customer.uuid}/marketing-preferences/{preference.pk}"


def v2_state(client, customer, preference):
    body = client.get(f"/v2/contacts/{customer.pk}/preferences").json()
    items = [item for node in body for item in [node, *node.get("preferences", [])]]
    return next(item["isOptedIn"] for item in items if item["id"] == preference.pk)


def test_opt_in_through_marketing_preferences_reads_in_v2(rw_client, customer, preference):
    rw_client.put(marketing_url(customer, preference))
    assert v2_state(rw_client, customer, preference) is True
    rw_client.delete(marketing_url(customer, preference))
    assert v2_state(rw_client, customer, preference) is False


def test_opt_in_through_v2_reads_in_marketing_preferences(rw_client, customer, preference):
    body = [{"id": preference.pk, "isPreference": True, "isOptedIn": True}]
    put(rw_client, customer.email, body)
    assert rw_client.get(marketing_url(customer, preference)).json()["data"]["opted_in"] is True
    body[0]["isOptedIn"] = False
    put(rw_client, customer.pk, body)
    assert rw_client.get(marketing_url(customer, preference)).json()["data"]["opted_in"] is False


def test_opt_in_through_marketing_preferences_lists_in_with_preference(
    rw_client, customer, preference
):
    rw_client.put(marketing_url(customer, preference))
    body = rw_client.get(f"/v2/contacts/with-preference/{preference.pk}").json()
    assert body == [{"id": customer.pk, "email": customer.email}]
    since = rw_client.get(
        f"/v2/contacts/with-preference/{preference.pk}/opt-ins-since/2000-01-01"
    ).json()
    assert [item["contact"]["id"] for item in since] == [customer.pk]


def test_both_dialects_write_one_row(rw_client, customer, preference):
    rw_client.put(marketing_url(customer, preference))
    put(rw_client, customer.pk, [{"id": preference.pk, "isPreference": True, "isOptedIn": False}])
    rw_client.put(marketing_url(customer, preference))
    assert PreferenceOptIn.objects.filter(customer=customer).count() == 1
    assert [new for _, _, new, _ in opt_in_events(customer)] == [True, False, True]


def test_deleting_the_preference_removes_it_from_both_dialects(rw_client, customer, preference):
    rw_client.put(marketing_url(customer, preference))
    rw_client.delete(f"/v2/preferences/{preference.pk}")
    assert rw_client.get(marketing_url(customer, preference)).status_code == 404
    assert not Preference.objects.filter(pk=preference.pk).exists()
