"""The database stops under load and comes back: a real gunicorn, a real connection, cut for real.

gunicorn (DEBUG=false, persistent connections) reaches the test database through a TCP proxy that
the test cuts, as if PostgreSQL had stopped, and restores. While it is cut every request answers
the dialect's JSON 503 with Retry-After, quickly; afterwards the same processes serve again; and
every write that was acknowledged with a 200 is in the database.
"""

import http.client
import json
import threading
import time

import pytest
from django.db import connection

from customers.models import Customer
from customers.services import api_token_issue
from customers.tests.factories import ApiUserFactory
from tests.live import Gunicorn, TcpProxy, database_url, upstream_of

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

CLIENTS = 4
MAX_REQUESTS_PER_CLIENT = 400  # a bound on the load whatever the timing


@pytest.fixture
def token(organisation):
    user = ApiUserFactory(membership__organisation=organisation)
    _, key = api_token_issue(user=user, name="outage test")
    return key


@pytest.fixture
def proxy():
    proxy = TcpProxy(upstream_of(connection.settings_dict))
    yield proxy
    proxy.close()


@pytest.fixture
def server(proxy):
    server = Gunicorn(database_url(connection.settings_dict, port=proxy.port))
    yield server
    server.stop()


def call(server, method, path, body=None, token=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    started = time.monotonic()
    all_headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), data, time.monotonic() - started


def test_an_outage_is_503_with_retry_after_then_recovers_and_loses_no_acknowledged_write(
    server, proxy, token
):
    results = []  # (phase, email, status, headers, body, seconds)
    phase = {"now": "up"}
    stop = threading.Event()
    lock = threading.Lock()

    def client(number):
        for i in range(MAX_REQUESTS_PER_CLIENT):
            if stop.is_set():
                return
            email = f"load-{number}-{i}@example.com"
            started_in = phase["now"]
            status, headers, body, seconds = call(
                server, "POST", "/customers", json.dumps({"email": email}), token
            )
            with lock:
                results.append((started_in, phase["now"], email, status, headers, body, seconds))
            time.sleep(0.01)

    # Warm up: each worker loads the URLconf and the API views on its first call.
    for _ in range(4):
        assert call(server, "GET", "/v2/preferences", token=token)[0] == 200
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    phase["now"] = "down"
    proxy.cut()
    time.sleep(2.5)
    phase["now"] = "back"
    proxy.restore()
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    assert server.process.poll() is None  # the same gunicorn, never restarted
    statuses = {status for *_, status, _, _, _ in results}
    assert statuses <= {200, 503}, statuses

    down = [r for r in results if r[0] == "down" and r[1] == "down"]
    assert down, "no request was made while the database was down"
    for *_, status, headers, body, seconds in down:
        assert status == 503
        assert headers["Retry-After"] == "5"
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(body) == {
            "success": False,
            "status": "The service is temporarily unavailable; retry shortly.",
        }
        assert seconds < 3

    back = [r for r in results if r[0] == "back"]
    assert any(status == 200 for *_, status, _, _, _ in back), "did not recover"
    # Once recovered it stays recovered: after the first 200, every answer is a 200.
    first_ok = next(i for i, r in enumerate(back) if r[3] == 200)
    assert all(r[3] == 200 for r in back[first_ok + 1 :])

    acknowledged = {email for _, _, email, status, *_ in results if status == 200}
    stored = set(Customer.objects.filter(email__in=acknowledged).values_list("email", flat=True))
    assert acknowledged - stored == set()
    assert call(server, "GET", "/readyz")[0] == 200


def test_a_chunked_body_is_read_over_gunicorn(server, token):
    def chunks():
        yield b'{"email": '
        yield b'"chunked@example.com"}'

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    conn.request(
        "POST",
        "/customers",
        body=chunks(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    assert response.status == 200, response.read()
    assert Customer.objects.filter(email="chunked@example.com").exists()
