"""GET /consent/v1/customers/{uuid}/links: the links and headers for a marketing email."""

import pytest
from django.urls import reverse

from customers import links, services
from customers.ledger import Provenance, Source
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(organisation):
    return CustomerFactory(organisation=organisation)


def links_url(customer_uuid):
    return reverse("service-customer-links", args=[customer_uuid])


def test_it_returns_signed_links_and_one_click_headers(rw_client, customer, settings):
    settings.SITE_URL = "https://consent.example.com"
    response = rw_client.get(links_url(customer.uuid))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"preferenceCentreUrl", "unsubscribeUrl", "headers"}
    prefix = "https://consent.example.com/pages/"
    assert body["preferenceCentreUrl"].startswith(prefix + "preferences/")
    assert body["unsubscribeUrl"].startswith(prefix + "unsubscribe/")
    assert body["headers"] == {
        "List-Unsubscribe": f"<{body['unsubscribeUrl']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    for page, url in [
        (links.PREFERENCE_CENTRE, body["preferenceCentreUrl"]),
        (links.UNSUBSCRIBE, body["unsubscribeUrl"]),
    ]:
        subject = links.read_link_token(page, url.rsplit("/", 1)[1])
        assert subject == links.LinkSubject(customer.organisation_id, str(customer.uuid))


def test_read_only_users_may_get_links(ro_client, customer):
    assert ro_client.get(links_url(customer.uuid)).status_code == 200


def test_it_answers_401_without_credentials(anon_client, customer):
    response = anon_client.get(links_url(customer.uuid))
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_another_organisations_customer_is_404(other_client, customer):
    response = other_client.get(links_url(customer.uuid))
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_an_erased_customer_is_404(rw_client, customer):
    services.customer_erase(customer=customer, provenance=Provenance(source=Source.SYSTEM))
    assert rw_client.get(links_url(customer.uuid)).status_code == 404


@pytest.mark.parametrize(
    "customer_uuid",
    ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00", "\uff11\uff12\uff13"],
)
def test_a_malformed_or_unknown_uuid_is_404(rw_client, customer, customer_uuid):
    response = rw_client.get(f"/consent/v1/customers/{customer_uuid}/links")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_writes_are_not_allowed(rw_client, customer):
    response = rw_client.post(links_url(customer.uuid), {}, format="json")
    assert response.status_code == 405


def test_it_takes_a_constant_number_of_queries(rw_client, customer, django_assert_num_queries):
    rw_client.get(links_url(customer.uuid))  # remembers the Basic credential
    # the API user with their membership, the customer
    with django_assert_num_queries(2):
        assert rw_client.get(links_url(customer.uuid)).status_code == 200


def test_it_is_in_the_schema_with_its_response(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/consent/v1/customers/{customer_uuid}/links"]["get"]
    content = operation["responses"]["200"]["content"]["application/json"]
    assert content["schema"]["$ref"].endswith("/ServiceCustomerLinks")
    assert "Links" in content["examples"]
    headers = schema["components"]["schemas"]["ServiceMailHeaders"]
    assert set(headers["properties"]) == {"List-Unsubscribe", "List-Unsubscribe-Post"}
