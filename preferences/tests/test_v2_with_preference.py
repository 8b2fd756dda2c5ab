"""v2 contacts with a preference (seed 002): with-preference and opt-ins-since, keyset paging."""

from datetime import UTC, datetime

import pytest
from rest_framework.renderers import JSONRenderer

from customers import contact_status
from customers.tests.factories import CustomerFactory
from preferences import selectors

from .factories import PreferenceOptInFactory

pytestmark = pytest.mark.django_db


def with_url(preference, since=None):
    base = f"/v2/contacts/with-preference/{getattr(preference, 'pk', preference)}"
    return base if since is None else f"{base}/opt-ins-since/{since}"


@pytest.fixture
def opted(organisation, preference):
    """Three contacts opted in, one opted out, in ascending id order."""
    customers = [CustomerFactory(organisation=organisation) for _ in range(4)]
    for customer in customers[:3]:
        PreferenceOptInFactory(customer=customer, preference=preference, opted_in=True)
    PreferenceOptInFactory(customer=customers[3], preference=preference, opted_in=False)
    return customers


# with-preference --------------------------------------------------------------------------------
def test_with_preference_the_seed_shape(rw_client, preference, opted):
    response = rw_client.get(with_url(preference))
    assert response.status_code == 200
    assert response.json() == [{"id": c.pk, "email": c.email} for c in opted[:3]]


def test_with_preference_starts_at_min_contact_id(rw_client, preference, opted):
    body = rw_client.get(with_url(preference), {"minContactID": opted[1].pk}).json()
    assert [item["id"] for item in body] == [opted[1].pk, opted[2].pk]


def test_with_preference_answers_at_most_1000(rw_client, preference, opted, monkeypatch):
    monkeypatch.setattr(selectors, "CONTACT_PAGE_SIZE", 2)
    first = rw_client.get(with_url(preference)).json()
    assert [item["id"] for item in first] == [opted[0].pk, opted[1].pk]
    after = rw_client.get(with_url(preference), {"minContactID": first[-1]["id"] + 1}).json()
    assert [item["id"] for item in after] == [opted[2].pk]


def test_with_preference_leaves_out_erased_contacts(rw_client, preference, opted):
    opted[0].erased_at = opted[0].created_at
    opted[0].save()
    ids = [item["id"] for item in rw_client.get(with_url(preference)).json()]
    assert opted[0].pk not in ids


def test_opt_ins_since_leaves_out_erased_contacts_and_pages_past_them(
    rw_client, preference, opted, monkeypatch
):
    opted[1].erased_at = opted[1].created_at
    opted[1].save()
    monkeypatch.setattr(selectors, "CONTACT_PAGE_SIZE", 2)
    body = rw_client.get(with_url(preference, "2000-01-01")).json()
    assert [item["contact"]["id"] for item in body] == [opted[0].pk, opted[2].pk]


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "9" * 30])
def test_a_bad_min_contact_id_is_a_400(rw_client, preference, value):
    for url in (with_url(preference), with_url(preference, "2020-01-01")):
        response = rw_client.get(url, {"minContactID": value})
        assert response.status_code == 400
        assert "message" in response.json()


def test_a_category_is_a_400(rw_client, category):
    assert rw_client.get(with_url(category)).status_code == 400
    assert rw_client.get(with_url(category, "2020-01-01")).status_code == 400


@pytest.mark.parametrize("preference_id", ["999999", "abc", "9" * 30])
def test_an_unknown_preference_is_a_404(rw_client, preference_id):
    assert rw_client.get(with_url(preference_id)).status_code == 404
    assert rw_client.get(with_url(preference_id, "2020-01-01")).status_code == 404


def test_another_organisations_preference_is_a_404(rw_client, foreign_preference):
    PreferenceOptInFactory(preference=foreign_preference)
    assert rw_client.get(with_url(foreign_preference)).status_code == 404
    assert rw_client.get(with_url(foreign_preference, "2020-01-01")).status_code == 404


def test_with_preference_query_count_is_constant(
    rw_client, organisation, preference, django_assert_max_num_queries
):
    rw_client.get(with_url(preference))
    for _ in range(10):
        PreferenceOptInFactory(preference=preference)
    # user + membership/organisation, preference, contacts
    with django_assert_max_num_queries(4):
        assert len(rw_client.get(with_url(preference)).json()) == 10


# opt-ins-since ----------------------------------------------------------------------------------
def test_opt_ins_since_the_seed_shape(rw_client, preference, opted):
    when = datetime(2020, 1, 1, 9, 40, 18, 527000, tzinfo=UTC)
    preference.opt_ins.update(modified_at=when)

    response = rw_client.get(with_url(preference, "2020-01-01"))

    assert response.status_code == 200
    body = response.json()
    assert [item["contact"]["id"] for item in body] == [c.pk for c in opted]
    first = body[0]
    assert first["contact"] == {
        "id": opted[0].pk,
        "email": opted[0].email,
        "optInType": "Unknown",
        "emailType": "Html",
        "dataFields": None,
        "status": "Subscribed",
    }
    assert first["marketingPreferenceOptIns"] == [
        {
            "marketingPreferenceId": preference.pk,
            "addressBookId": 0,
            "isOptedIn": True,
            "dateModifed": "2020-01-01T09:40:18.527Z",
        }
    ]
    assert body[3]["marketingPreferenceOptIns"][0]["isOptedIn"] is False


def test_opt_ins_since_is_inclusive_and_leaves_out_older(rw_client, preference, opted):
    preference.opt_ins.update(modified_at=datetime(2020, 1, 1, tzinfo=UTC))
    preference.opt_ins.filter(customer=opted[0]).update(
        modified_at=datetime(2020, 1, 2, tzinfo=UTC)
    )
    body = rw_client.get(with_url(preference, "2020-01-02T00:00:00Z")).json()
    assert [item["contact"]["id"] for item in body] == [opted[0].pk]


def test_opt_ins_since_pages_by_min_contact_id(rw_client, preference, opted, monkeypatch):
    monkeypatch.setattr(selectors, "CONTACT_PAGE_SIZE", 3)
    body = rw_client.get(with_url(preference, "2000-01-01"), {"minContactID": opted[1].pk}).json()
    assert [item["contact"]["id"] for item in body] == [c.pk for c in opted[1:]]


def test_opt_ins_since_embeds_the_registered_status(rw_client, preference, opted, monkeypatch):
    # monkeypatch restores whichever provider the subscriptions app registered.
    monkeypatch.setattr(
        contact_status, "_provider", lambda customers: {customers[0].pk: "Unsubscribed"}
    )
    body = rw_client.get(with_url(preference, "2000-01-01")).json()
    assert [item["contact"]["status"] for item in body] == [
        "Unsubscribed",
        "Subscribed",
        "Subscribed",
        "Subscribed",
    ]


@pytest.mark.parametrize("date", ["nope", "2020-02-30", "2020/01/01", "2020-01-01T10:00:00+99:00"])
def test_opt_ins_since_rejects_a_bad_date(rw_client, preference, date):
    response = rw_client.get(with_url(preference, date))
    assert response.status_code == 400


def test_opt_ins_since_query_count_is_constant(
    rw_client, preference, django_assert_max_num_queries, monkeypatch
):
    # A status provider answers in one query whatever the page size; stand one in.
    monkeypatch.setattr(contact_status, "_provider", lambda customers: {})
    rw_client.get(with_url(preference, "2000-01-01"))
    for _ in range(10):
        PreferenceOptInFactory(preference=preference)
    # user + membership/organisation, preference, opt-ins with contacts, (statuses)
    with django_assert_max_num_queries(5):
        assert len(rw_client.get(with_url(preference, "2000-01-01")).json()) == 10


def test_opt_ins_since_writes_the_bytes_drf_writes(rw_client, preference, opted):
    opted[0].data_fields = {"ratio": 1e-05, "big": 1e16, "n": 3, "name": "J\u00fcrgen\u2028"}
    opted[0].save()
    # Milliseconds are cut, not rounded, as the seed's format has always been written.
    preference.opt_ins.update(modified_at=datetime(2020, 1, 1, 9, 40, 18, 527999, tzinfo=UTC))

    response = rw_client.get(with_url(preference, "2020-01-01"))

    assert response.content == JSONRenderer().render(response.data)
    assert b'"value":1e-05}' in response.content
    assert b'"dateModifed":"2020-01-01T09:40:18.527Z"' in response.content


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_opt_ins_since_page_reads_its_states_from_the_index_alone(organisation, preference):
    from django.db import connection

    for customer in CustomerFactory.create_batch(30, organisation=organisation):
        PreferenceOptInFactory(customer=customer, preference=preference)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE preferences_preferenceoptin")
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_bitmapscan = off")
        cursor.execute(
            "EXPLAIN SELECT o.customer_id, o.opted_in, o.modified_at "
            "FROM preferences_preferenceoptin o "
            "WHERE o.preference_id = %s AND o.modified_at >= %s AND o.customer_id >= %s "
            "ORDER BY o.customer_id LIMIT 1000",
            [preference.pk, datetime(2000, 1, 1, tzinfo=UTC), 0],
        )
        plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_bitmapscan")

    assert "Index Only Scan using optin_pref_cust_modified_idx" in plan, plan
