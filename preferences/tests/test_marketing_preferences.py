"""Customer marketing preferences (seed 000): list, get, opt in, opt out."""

import pytest

from conftest import assert_nothing_changed
from customers.tests.factories import CustomerFactory
from preferences.models import PreferenceOptIn

from .conftest import opt_in_events
from .factories import PreferenceFactory, PreferenceOptInFactory

pytestmark = pytest.mark.django_db


def url(customer, preference=None):
    base = f"/customers/customers/{getattr(customer, 'uuid', customer)}/marketing-preferences"
    return base if preference is None else f"{base}/{getattr(preference, 'pk', preference)}"


# List -------------------------------------------------------------------------------------------
def test_list_shows_every_preference_with_the_customers_state(
    rw_client, customer, category, preference, organisation
):
    other = PreferenceFactory(organisation=organisation, public_name="Offers")
    PreferenceOptInFactory(customer=customer, preference=other, opted_in=True)

    response = rw_client.get(url(customer))

    assert response.status_code == 200
    body = response.json()
    assert [(item["id"], item["name"], item["opted_in"]) for item in body["data"]] == [
        (str(preference.pk), "Weekly", False),
        (str(other.pk), "Offers", True),
    ]
    assert body["data"][0]["category"] == "Newsletters"
    assert body["meta"] == {"current_page": 1, "per_page": 20, "total": 2, "last_page": 1}


def test_list_leaves_out_categories_and_other_organisations_preferences(
    rw_client, customer, category, preference, foreign_preference
):
    ids = [item["id"] for item in rw_client.get(url(customer)).json()["data"]]
    assert ids == [str(preference.pk)]


def test_list_pages_with_page_and_per_page(rw_client, customer, organisation):
    prefs = PreferenceFactory.create_batch(5, organisation=organisation)

    body = rw_client.get(url(customer), {"page": 2, "per_page": 2}).json()

    assert [item["id"] for item in body["data"]] == [str(p.pk) for p in prefs[2:4]]
    assert body["meta"] == {"current_page": 2, "per_page": 2, "total": 5, "last_page": 3}


def test_a_page_past_the_end_is_empty(rw_client, customer, preference):
    response = rw_client.get(url(customer), {"page": 99})
    assert response.status_code == 200
    assert response.json()["data"] == []


def test_a_huge_page_is_empty_not_an_error(rw_client, customer, preference):
    response = rw_client.get(url(customer), {"page": 2**31 - 1, "per_page": 100})
    assert response.status_code == 200
    assert response.json()["data"] == []


@pytest.mark.parametrize(
    "params, field",
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"per_page": "ten"}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "9" * 40}, "page"),
    ],
)
def test_paging_out_of_range_is_a_422(rw_client, customer, params, field):
    response = rw_client.get(url(customer), params)
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"message", "errors"}
    assert field in body["errors"]


def test_list_query_count_is_constant_in_page_size(
    rw_client, customer, organisation, django_assert_max_num_queries
):
    rw_client.get(url(customer))  # warm the Basic auth cache
    prefs = PreferenceFactory.create_batch(30, organisation=organisation)
    for preference in prefs[::2]:
        PreferenceOptInFactory(customer=customer, preference=preference)
    for per_page in (1, 30):
        # user + membership/organisation, customer, count, page of preferences, opt-ins
        with django_assert_max_num_queries(6):
            response = rw_client.get(url(customer), {"per_page": per_page})
        assert len(response.json()["data"]) == per_page


# Get --------------------------------------------------------------------------------------------
def test_get_a_never_presented_preference_is_the_implicit_opt_out(rw_client, customer, preference):
    response = rw_client.get(url(customer, preference))
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == str(preference.pk)
    assert data["opted_in"] is False
    assert data["updated_at"] is None


def test_get_shows_an_opt_in(rw_client, customer, preference):
    PreferenceOptInFactory(customer=customer, preference=preference, opted_in=True)
    data = rw_client.get(url(customer, preference)).json()["data"]
    assert data["opted_in"] is True
    assert data["name"] == "Weekly"


# Opt in / out -----------------------------------------------------------------------------------
def test_put_opts_in_and_answers_the_new_state(rw_client, customer, preference):
    response = rw_client.put(url(customer, preference))

    assert response.status_code == 200
    assert response.json()["data"]["opted_in"] is True
    assert response.json()["data"]["id"] == str(preference.pk)
    assert PreferenceOptIn.objects.get(customer=customer, preference=preference).opted_in


def test_put_writes_one_ledger_event(rw_client, customer, preference):
    rw_client.put(url(customer, preference))
    assert opt_in_events(customer) == [(str(preference.pk), False, True, "api")]


def test_put_twice_writes_one_event(rw_client, customer, preference):
    rw_client.put(url(customer, preference))
    rw_client.put(url(customer, preference))
    assert len(opt_in_events(customer)) == 1
    assert PreferenceOptIn.objects.count() == 1


def test_delete_opts_out_with_204(rw_client, customer, preference):
    PreferenceOptInFactory(customer=customer, preference=preference, opted_in=True)

    response = rw_client.delete(url(customer, preference))

    assert response.status_code == 204
    assert not PreferenceOptIn.objects.get(customer=customer, preference=preference).opted_in
    assert opt_in_events(customer) == [(str(preference.pk), True, False, "api")]


def test_delete_of_an_implicit_opt_out_changes_nothing(rw_client, customer, preference):
    response = rw_client.delete(url(customer, preference))
    assert response.status_code == 204
    assert not PreferenceOptIn.objects.exists()
    assert opt_in_events() == []


# Errors -----------------------------------------------------------------------------------------
ITEM_CALLS = [("get", 200), ("put", 200), ("delete", 204)]


@pytest.mark.parametrize("method, _", ITEM_CALLS)
def test_a_category_id_on_an_item_route_is_a_422(rw_client, customer, category, method, _):
    with assert_nothing_changed():
        response = getattr(rw_client, method)(url(customer, category))
    assert response.status_code == 422
    assert "marketingPreferenceId" in response.json()["errors"]
    assert not PreferenceOptIn.objects.exists()


@pytest.mark.parametrize("method, _", ITEM_CALLS)
def test_another_organisations_preference_is_a_404(
    rw_client, customer, foreign_preference, method, _
):
    response = getattr(rw_client, method)(url(customer, foreign_preference))
    assert response.status_code == 404
    assert set(response.json()) == {"message"}


@pytest.mark.parametrize("preference_id", ["999999", "abc", "-1", "9" * 30, "1.0", "%C3%A9"])
@pytest.mark.parametrize("method, _", ITEM_CALLS)
def test_an_unknown_preference_is_a_404(rw_client, customer, method, _, preference_id):
    assert getattr(rw_client, method)(url(customer, preference_id)).status_code == 404


@pytest.mark.parametrize(
    "customer_id", ["not-a-uuid", "12", "01b8d234-5efc-4f57-be1d-b20eb3f50ef7"]
)
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_an_unknown_or_malformed_customer_is_a_404(rw_client, preference, customer_id, method):
    assert getattr(rw_client, method)(url(customer_id, preference)).status_code == 404
    assert rw_client.get(url(customer_id)).status_code == 404


def test_another_organisations_customer_is_a_404(rw_client, other_organisation, preference):
    theirs = CustomerFactory(organisation=other_organisation)
    assert rw_client.get(url(theirs)).status_code == 404
    assert rw_client.put(url(theirs, preference)).status_code == 404
    assert not PreferenceOptIn.objects.exists()


def test_an_erased_customer_is_gone(rw_client, customer, preference):
    customer.erased_at = customer.created_at
    customer.save()
    assert rw_client.get(url(customer)).status_code == 404


def test_opt_in_writes_in_constant_queries(
    rw_client, customer, organisation, django_assert_num_queries
):
    rw_client.get(url(customer))  # warm the Basic auth cache
    preference = PreferenceFactory(organisation=organisation)
    # user with membership and organisation, customer, preference; in one transaction (here a
    # savepoint and its release, as the test runs in a transaction): share-lock the preference,
    # lock the customer, read the state, upsert, ledger; the answer is the state as written
    with django_assert_num_queries(10):
        response = rw_client.put(url(customer, preference))
    assert response.status_code == 200
    assert len(opt_in_events()) == 1
