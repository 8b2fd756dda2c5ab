"""The published Sendwithus Python client (`sendwithus` 5.4.0), pointed at our server, works.

It calls /api/v1/…, authenticates with the API key as Basic user name and an empty password,
sends `Content-type: application/json` with `Accept: text/plain`, and puts the email raw
(`+`, `@`) in the path. With raise_errors=True a 403 is AuthenticationError and any other 4xx
APIError.
"""

import gc
import threading
import time
from urllib.parse import urlsplit

import pytest
import sendwithus
from sendwithus.exceptions import APIError

from customers import services
from customers.models import Customer
from customers.tests.factories import ApiUserFactory, OrganisationFactory
from emaillogs.tests.factories import EmailLogFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _server_requests_finished():
    """Wait for the live server's request threads to close their database connections.

    The server keeps a connection alive until the client closes its socket, and a response
    held by a caught exception (pytest.raises) keeps that socket open until collected. A request
    thread still open when the session ends would find the shared SQLite connection no longer
    shared, or keep PostgreSQL's test database in use.
    """
    yield
    gc.collect()  # a response kept alive by a caught exception keeps its socket open
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        "process_request_thread" in thread.name for thread in threading.enumerate()
    ):
        time.sleep(0.01)


@pytest.fixture
def key(live_server):
    organisation = OrganisationFactory(slug="acme")
    user = ApiUserFactory(membership__organisation=organisation)
    _, key = services.api_token_issue(user=user)
    return key


def client_for(live_server, key) -> sendwithus.api:
    url = urlsplit(live_server.url)
    return sendwithus.api(
        api_key=key,
        API_HOST=url.hostname,
        API_PORT=str(url.port),
        API_PROTO=url.scheme,
        raise_errors=True,
        default_timeout=10,
    )


def test_the_client_creates_reads_and_deletes_a_customer_with_data(live_server, key):
    api = client_for(live_server, key)
    created = api.customer_create("Matt+News@example.com", data={"plan": "gold"}, locale="de-DE")
    assert created.json() == {"success": True, "status": "OK"}
    customer = Customer.objects.get(email="Matt+News@example.com")
    assert (customer.locale, customer.data_fields) == ("de-DE", {"plan": "gold"})

    details = api.customer_details("matt+news@example.com")
    assert details.status_code == 200
    assert details.json()["customer"]["email"] == "Matt+News@example.com"
    assert details.json()["customer"]["locale"] == "de-DE"

    deleted = api.customer_delete("matt+news@example.com")
    assert deleted.json() == {"success": True, "status": "OK"}
    customer.refresh_from_db()
    assert customer.is_erased
    with pytest.raises(APIError):
        api.customer_details("matt+news@example.com")


def test_the_client_merges_data_on_a_second_create(live_server, key):
    api = client_for(live_server, key)
    api.customer_create("matt@example.com", data={"plan": "gold", "town": "York"})
    api.customer_create("matt@example.com", data={"plan": "silver"})
    customer = Customer.objects.get(email="matt@example.com")
    assert customer.data_fields == {"plan": "silver", "town": "York"}


def test_the_client_reads_one_log(live_server, key):
    customer = Customer.objects.create(
        organisation_id=OrganisationFactory(slug="acme").pk, email="log@example.com"
    )
    EmailLogFactory(customer=customer, public_id="log_asdf1234qwerty")
    log = client_for(live_server, key).get_log("log_asdf1234qwerty")
    assert log.json()["object"] == "log"
    assert log.json()["id"] == "log_asdf1234qwerty"


def test_a_bad_key_raises_the_clients_api_error(live_server, key):
    api = client_for(live_server, "not-a-key")
    with pytest.raises(APIError) as raised:
        api.customer_details("matt@example.com")
    assert b'"success":false' in raised.value.content.replace(b" ", b"")
