"""v2 preferences (seed 002): create, list, update, delete, modified-since; order rules."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from conftest import assert_nothing_changed
from customers.tests.factories import CustomerFactory
from preferences.models import Preference, PreferenceOptIn

from .conftest import opt_in_events
from .factories import CategoryFactory, PreferenceFactory, PreferenceOptInFactory

pytestmark = pytest.mark.django_db

SEED_CREATE = {
    "publicName": "Preferred contact method",
    "privateName": "Preferred contact method",
    "isPreference": True,
    "isPublic": True,
    "order": 0,
    "categoryId": None,
}
ITEM_KEYS = {
    "id",
    "publicName",
    "privateName",
    "isPreference",
    "order",
    "isPublic",
    "categoryId",
    "preferenceCount",
    "created",
    "lastModified",
}


def tree(organisation, category_id=None):
    rows = Preference.objects.filter(organisation=organisation, category_id=category_id)
    return list(rows.order_by("order").values_list("public_name", "order"))


# Create -----------------------------------------------------------------------------------------
def test_create_the_seed_example(rw_client, organisation):
    response = rw_client.post("/v2/preferences", SEED_CREATE, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ITEM_KEYS
    assert body["publicName"] == "Preferred contact method"
    assert body["isPreference"] is True
    assert body["order"] == 0
    assert body["categoryId"] == 0
    assert body["created"].endswith("Z")
    assert Preference.objects.get(pk=body["id"]).organisation == organisation


def test_create_defaults_to_a_public_category_at_the_bottom(rw_client, organisation):
    PreferenceFactory(organisation=organisation, order=0)
    body = rw_client.post(
        "/v2/preferences", {"publicName": "A", "privateName": "a"}, format="json"
    ).json()
    assert body["isPreference"] is False
    assert body["isPublic"] is True
    assert body["order"] == 1


@pytest.mark.parametrize("key", ["categoryId", "categoryID"])
def test_create_a_preference_in_a_category(rw_client, organisation, key):
    category = CategoryFactory(organisation=organisation)
    body = rw_client.post(
        "/v2/preferences",
        {"publicName": "Email", "privateName": "Email", "isPreference": True, key: category.pk},
        format="json",
    ).json()
    assert body["categoryId"] == category.pk
    assert Preference.objects.get(pk=body["id"]).category == category


@pytest.mark.parametrize("order, expected", [(0, 0), ("top", 0), (1, 1), ("1", 1), (99, 2)])
def test_create_inserts_at_order_and_renumbers_siblings(rw_client, organisation, order, expected):
    PreferenceFactory(organisation=organisation, public_name="A", order=0)
    PreferenceFactory(organisation=organisation, public_name="B", order=1)

    body = rw_client.post(
        "/v2/preferences",
        {"publicName": "N", "privateName": "N", "isPreference": True, "order": order},
        format="json",
    ).json()

    assert body["order"] == expected
    orders = tree(organisation)
    assert [o for _, o in orders] == [0, 1, 2]
    assert orders[expected][0] == "N"


def test_create_bottom_places_last(rw_client, organisation):
    PreferenceFactory(organisation=organisation, order=0)
    body = rw_client.post(
        "/v2/preferences",
        {"publicName": "N", "privateName": "N", "order": "bottom"},
        format="json",
    ).json()
    assert body["order"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"privateName": "x"},
        {"publicName": "x"},
        {"publicName": "", "privateName": "x"},
        {"publicName": "x" * 256, "privateName": "x"},
        {"publicName": "a\x00b", "privateName": "x"},
        {"publicName": "x", "privateName": "x", "order": -1},
        {"publicName": "x", "privateName": "x", "order": "middle"},
        {"publicName": "x", "privateName": "x", "order": True},
        {"publicName": "x", "privateName": "x", "order": 1.5},
        {"publicName": "x", "privateName": "x", "isPreference": "maybe"},
        {"publicName": "x", "privateName": "x", "categoryId": "abc"},
        {"publicName": "x", "privateName": "x", "categoryId": 10**30},
        {"publicName": "x", "privateName": "x", "isPreference": True, "categoryId": 999999},
        [SEED_CREATE],
        "plain",
    ],
)
def test_create_rejects_bad_input_with_a_400(rw_client, body):
    with assert_nothing_changed():
        response = rw_client.post("/v2/preferences", body, format="json")
    assert response.status_code == 400
    assert "message" in response.json()
    assert not Preference.objects.exists()


def test_create_refuses_malformed_json(rw_client):
    with assert_nothing_changed():
        response = rw_client.post("/v2/preferences", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert not Preference.objects.exists()


def test_create_refuses_a_category_inside_a_category(rw_client, category):
    with assert_nothing_changed():
        response = rw_client.post(
            "/v2/preferences",
            {
                "publicName": "x",
                "privateName": "x",
                "isPreference": False,
                "categoryId": category.pk,
            },
            format="json",
        )
    assert response.status_code == 400


def test_create_refuses_a_preference_as_category(rw_client, preference):
    with assert_nothing_changed():
        response = rw_client.post(
            "/v2/preferences",
            {
                "publicName": "x",
                "privateName": "x",
                "isPreference": True,
                "categoryId": preference.pk,
            },
            format="json",
        )
    assert response.status_code == 400


def test_create_refuses_another_organisations_category(rw_client, other_organisation):
    theirs = CategoryFactory(organisation=other_organisation)
    with assert_nothing_changed():
        response = rw_client.post(
            "/v2/preferences",
            {"publicName": "x", "privateName": "x", "isPreference": True, "categoryId": theirs.pk},
            format="json",
        )
    assert response.status_code == 400
    assert Preference.objects.count() == 1


# List -------------------------------------------------------------------------------------------
def test_list_is_the_seed_tree(rw_client, organisation):
    contact = CategoryFactory(organisation=organisation, public_name="Preferred contact method")
    email = PreferenceFactory(category=contact, public_name="Email", order=0)
    push = PreferenceFactory(category=contact, public_name="Push notifications", order=1)
    contact.order = 0
    contact.save()
    football = PreferenceFactory(organisation=organisation, public_name="Football", order=1)

    body = rw_client.get("/v2/preferences").json()

    assert [item["id"] for item in body] == [contact.pk, football.pk]
    assert body[0]["isPreference"] is False
    assert body[0]["preferenceCount"] == 2
    assert body[0]["order"] == "0"
    assert body[0]["categoryId"] == 0
    assert [(p["id"], p["order"], p["categoryId"]) for p in body[0]["preferences"]] == [
        (email.pk, "0", contact.pk),
        (push.pk, "1", contact.pk),
    ]
    assert set(body[0]["preferences"][0]) == ITEM_KEYS
    assert "preferences" not in body[1]
    assert body[1]["preferenceCount"] == 0


def test_list_shows_only_our_organisation(rw_client, preference, foreign_preference):
    ids = [item["id"] for item in rw_client.get("/v2/preferences").json()]
    assert foreign_preference.pk not in ids


def test_list_query_count_is_constant(rw_client, organisation, django_assert_max_num_queries):
    rw_client.get("/v2/preferences")
    for _ in range(3):
        category = CategoryFactory(organisation=organisation)
        PreferenceFactory.create_batch(5, category=category)
    # user + membership/organisation, the whole tree
    with django_assert_max_num_queries(3):
        assert len(rw_client.get("/v2/preferences").json()) == 3


# Update -----------------------------------------------------------------------------------------
def test_update_the_seed_example(rw_client, organisation):
    category = CategoryFactory(organisation=organisation, order=0)
    PreferenceFactory(category=category, order=0)
    PreferenceFactory(category=category, order=1)
    preference = PreferenceFactory(organisation=organisation, order=1)

    response = rw_client.put(
        f"/v2/preferences/{preference.pk}",
        {
            "id": preference.pk,
            "privateName": "Preference name",
            "publicName": "Preference name",
            "order": 1,
            "isPublic": False,
            "categoryId": category.pk,
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["publicName"] == "Preference name"
    assert body["isPublic"] is False
    assert body["categoryId"] == category.pk
    assert body["order"] == 1
    assert body["isPreference"] is True
    assert [o for _, o in tree(organisation, category.pk)] == [0, 1, 2]
    assert [o for _, o in tree(organisation)] == [0]


def test_update_moves_within_siblings(rw_client, organisation):
    *_, c = (
        PreferenceFactory(organisation=organisation, public_name=n, order=i)
        for i, n in enumerate("ABC")
    )
    rw_client.put(
        f"/v2/preferences/{c.pk}",
        {"publicName": "C", "privateName": "C", "order": "top"},
        format="json",
    )
    assert tree(organisation) == [("C", 0), ("A", 1), ("B", 2)]


def test_update_without_order_keeps_the_position(rw_client, organisation):
    for i, name in enumerate("ABC"):
        PreferenceFactory(organisation=organisation, public_name=name, order=i)
    b = Preference.objects.get(public_name="B")
    rw_client.put(
        f"/v2/preferences/{b.pk}", {"publicName": "B2", "privateName": "B"}, format="json"
    )
    assert tree(organisation) == [("A", 0), ("B2", 1), ("C", 2)]


def test_update_to_category_zero_moves_to_top_level(rw_client, organisation, preference):
    response = rw_client.put(
        f"/v2/preferences/{preference.pk}",
        {"publicName": "W", "privateName": "W", "categoryID": 0},
        format="json",
    )
    assert response.json()["categoryId"] == 0
    preference.refresh_from_db()
    assert preference.category is None
    assert preference.order == 1  # after the category


@pytest.mark.parametrize(
    "body",
    [
        {"publicName": "x"},
        {"publicName": "x", "privateName": "x", "id": 999999},
        {"publicName": "x", "privateName": "x", "isPreference": False},
        {"publicName": "x", "privateName": "x", "categoryId": 1, "categoryID": 2},
        {"publicName": "x", "privateName": "x", "order": "sideways"},
    ],
)
def test_update_rejects_bad_input_with_a_400(rw_client, preference, body):
    with assert_nothing_changed():
        response = rw_client.put(f"/v2/preferences/{preference.pk}", body, format="json")
    assert response.status_code == 400
    preference.refresh_from_db()
    assert preference.public_name == "Weekly"


@pytest.mark.parametrize("preference_id", ["999999", "abc", "0", "9" * 30])
def test_update_an_unknown_preference_is_a_404(rw_client, preference_id):
    response = rw_client.put(
        f"/v2/preferences/{preference_id}", {"publicName": "x", "privateName": "x"}, format="json"
    )
    assert response.status_code == 404
    assert "message" in response.json()


def test_update_another_organisations_preference_is_a_404(rw_client, foreign_preference):
    response = rw_client.put(
        f"/v2/preferences/{foreign_preference.pk}",
        {"publicName": "x", "privateName": "x"},
        format="json",
    )
    assert response.status_code == 404
    foreign_preference.refresh_from_db()
    assert foreign_preference.public_name == "Theirs"


# Delete -----------------------------------------------------------------------------------------
def test_delete_answers_the_seed_text(rw_client, preference):
    response = rw_client.delete(f"/v2/preferences/{preference.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"Preference or category (and preferences) were deleted successfully"
    assert not Preference.objects.filter(pk=preference.pk).exists()


def test_deleting_a_category_deletes_its_preferences_and_their_states(
    rw_client, category, preference, customer
):
    PreferenceOptInFactory(customer=customer, preference=preference)
    rw_client.delete(f"/v2/preferences/{category.pk}")
    assert not Preference.objects.exists()
    assert not PreferenceOptIn.objects.exists()


def test_deleting_a_preference_records_the_lost_opt_ins(rw_client, organisation, preference):
    ada, bob = CustomerFactory.create_batch(2, organisation=organisation)
    PreferenceOptInFactory(customer=ada, preference=preference, opted_in=True)
    PreferenceOptInFactory(customer=bob, preference=preference, opted_in=False)

    rw_client.delete(f"/v2/preferences/{preference.category_id}")

    assert opt_in_events(ada) == [(str(preference.pk), True, False, "api")]
    assert opt_in_events(bob) == []


def test_delete_renumbers_the_siblings(rw_client, organisation):
    for i, name in enumerate("ABC"):
        PreferenceFactory(organisation=organisation, public_name=name, order=i)
    rw_client.delete(f"/v2/preferences/{Preference.objects.get(public_name='A').pk}")
    assert tree(organisation) == [("B", 0), ("C", 1)]


def test_delete_of_unknown_or_foreign_is_a_404(rw_client, foreign_preference):
    assert rw_client.delete(f"/v2/preferences/{foreign_preference.pk}").status_code == 404
    assert rw_client.delete("/v2/preferences/nope").status_code == 404
    assert Preference.objects.filter(pk=foreign_preference.pk).exists()


# Modified since ---------------------------------------------------------------------------------
def set_modified(preference, when):
    Preference.objects.filter(pk=preference.pk).update(last_modified=when)


def test_modified_since_the_seed_shape(rw_client, organisation):
    long_ago = datetime(2019, 1, 1, tzinfo=UTC)
    contact = CategoryFactory(organisation=organisation, public_name="Preferred contact method")
    email = PreferenceFactory(category=contact, public_name="Email", order=0)
    push = PreferenceFactory(category=contact, public_name="Push", order=1)
    football = PreferenceFactory(organisation=organisation, public_name="Football", order=2)
    old = PreferenceFactory(organisation=organisation, public_name="Old", order=3)
    for row in (contact, email, football, old):
        set_modified(row, long_ago)
    set_modified(push, datetime(2020, 1, 2, tzinfo=UTC))
    set_modified(football, datetime(2020, 1, 3, tzinfo=UTC))

    body = rw_client.get("/v2/preferences/modified-since/2020-01-01").json()

    assert [item["id"] for item in body] == [contact.pk, football.pk]
    category = body[0]
    assert category["isPreference2"] is False
    assert category["isPreference"] is False
    assert category["preferenceCount"] == 2
    assert [p["id"] for p in category["preferences"]] == [email.pk, push.pk]
    assert body[1]["isPreference2"] is True
    assert body[1]["lastModified"] == "2020-01-03T00:00:00.000Z"


@pytest.mark.parametrize(
    "date",
    [
        "2020-01-02",
        "2020-01-02T00:00:00",
        "2020-01-02T00:00:00Z",
        "2020-01-02T00:00:00.000Z",
        "2020-01-02T01:00:00+01:00",
    ],
)
def test_modified_since_is_inclusive_and_reads_every_iso_form(rw_client, preference, date):
    set_modified(preference, datetime(2020, 1, 2, tzinfo=UTC))
    body = rw_client.get(f"/v2/preferences/modified-since/{date}").json()
    assert [item["id"] for item in body] == [preference.category_id]


def test_modified_since_leaves_out_older_changes(rw_client, preference):
    set_modified(preference.category, datetime(2020, 1, 1, tzinfo=UTC))
    set_modified(preference, datetime(2020, 1, 1, tzinfo=UTC))
    assert rw_client.get("/v2/preferences/modified-since/2020-01-01T00:00:01").json() == []


@pytest.mark.parametrize(
    "date", ["yesterday", "2020-13-01", "2020-01-32", "01/02/2020", "2020-01-01T25:00", "1e9"]
)
def test_modified_since_rejects_a_bad_date_with_a_400(rw_client, date):
    response = rw_client.get(f"/v2/preferences/modified-since/{date}")
    assert response.status_code == 400
    assert "message" in response.json()


def test_modified_since_after_an_edit_lists_it(rw_client, preference):
    since = (timezone.now() - timedelta(seconds=1)).isoformat()
    set_modified(preference, datetime(2019, 1, 1, tzinfo=UTC))
    set_modified(preference.category, datetime(2019, 1, 1, tzinfo=UTC))
    rw_client.put(
        f"/v2/preferences/{preference.pk}", {"publicName": "X", "privateName": "X"}, format="json"
    )
    body = rw_client.get(f"/v2/preferences/modified-since/{since.replace('+', '%2B')}").json()
    assert [item["id"] for item in body] == [preference.category_id]


def test_modified_since_shows_only_our_organisation(rw_client, foreign_preference):
    assert rw_client.get("/v2/preferences/modified-since/2000-01-01").json() == []


def test_modified_since_query_count_is_constant(
    rw_client, organisation, django_assert_max_num_queries
):
    rw_client.get("/v2/preferences/modified-since/2000-01-01")
    for _ in range(3):
        PreferenceFactory.create_batch(4, category=CategoryFactory(organisation=organisation))
    # user + membership/organisation, changed rows, their trees
    with django_assert_max_num_queries(4):
        assert len(rw_client.get("/v2/preferences/modified-since/2000-01-01").json()) == 3
