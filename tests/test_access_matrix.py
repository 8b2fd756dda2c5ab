"""Who may call what: every API route x {read-write, read-only, other organisation, anonymous}.

Generated from the URL config (customers.schema.routes), so a new route is in the matrix as soon
as it is in urls.py; `test_every_route_has_an_entry` fails until ROUTES says how to call it.

The rules, the same for every route:
- read-write: the call is let through (a 2xx with the bodies below);
- read-only: reads are let through; writes are 403 (a view that reads with POST sets
  `reads_only = True` and is a read here) and change nothing;
- another organisation's user: a route that names our data in its path is a 404 and changes
  nothing; a route that does not acts on the caller's own organisation, never on ours;
- anonymous: 401, nothing changes.
Public routes (health, hosted pages) answer every persona the same and need no credentials.

To add a route: give it a `name=` in urls.py and an entry in ROUTES: a body for each write
method (`{"post": {...}}`; None for no body), and `public=True` if it needs no credentials.
Path parameters come from tests.world (add a new parameter name there).
"""

from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.urls import reverse
from rest_framework.permissions import SAFE_METHODS

from customers.schema import routes
from tests.world import build_world

pytestmark = pytest.mark.django_db

# Path parameters that do not name anything of an organisation (a date bound, say).
NOT_IDENTIFIERS = {"date"}
CONSENT_APPS = ("customers", "preferences", "subscriptions", "optout", "emaillogs")
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Entry:
    bodies: dict = field(default_factory=dict)  # method -> JSON body for the write
    query: dict = field(default_factory=dict)  # query parameters the route needs
    public: bool = False


OPTOUT_BODY = {
    "communicationAttributesList": [
        {
            "communicationType": "EMAIL",
            "communicationValue": "ada@example.com",
            "okToCommunicate": False,
        }
    ],
    "event": "GENERIC_MESSAGE_RECEIVED",
    "updateType": "CUSTOMER",
    "processSynchronously": True,
}

ROUTES = {
    "home": Entry(public=True),
    "healthz": Entry(public=True),
    "readyz": Entry(public=True),
    "subscriptions-resubscribe-confirm": Entry(public=True),
    "service-customer": Entry(),
    "service-customer-consent-events": Entry(),
    "customers-create": Entry(bodies={"post": {"email": "new@example.com"}}),
    "customers-detail": Entry(),
    "customers-logs": Entry(),
    "marketing-preferences": Entry(),
    "marketing-preference": Entry(),
    "v2-preferences": Entry(
        bodies={"post": {"publicName": "New", "privateName": "New", "isPreference": True}}
    ),
    "v2-preferences-modified-since": Entry(),
    "v2-preference": Entry(bodies={"put": {"publicName": "Renamed", "privateName": "Renamed"}}),
    "v2-contacts-with-preference": Entry(),
    "v2-contacts-opt-ins-since": Entry(),
    "v2-contact-preferences": Entry(
        bodies={"put": [{"id": "{preferenceId}", "isPreference": True, "isOptedIn": False}]}
    ),
    "v2-contacts-unsubscribe": Entry(bodies={"post": {"email": "ada@example.com"}}),
    "v2-contacts-suppress": Entry(bodies={"put": [{"email": "ada@example.com"}]}),
    "v2-contacts-resubscribe": Entry(
        bodies={"post": {"unsubscribedContact": {"email": "gone@example.com"}}}
    ),
    "v2-contacts-resubscribe-no-challenge": Entry(
        bodies={"post": {"unsubscribedContact": {"email": "gone@example.com"}}}
    ),
    "v2-contacts-suppressed-since": Entry(),
    "v2-contacts-unsubscribed-since": Entry(),
    "v2-contact-subscriptions": Entry(),
    "loyalty-marketing-subscription": Entry(bodies={"put": {"email": {"preference": "OPT_OUT"}}}),
    "optout-status": Entry(
        bodies={"post": OPTOUT_BODY}, query={"communicationValue": "ada@example.com"}
    ),
    "service-customer-links": Entry(),
    "service-customer-export": Entry(),
    # Reads with POST (reads_only): the read-only user may ask too.
    "service-decisions": Entry(
        bodies={"post": {"channel": "email", "recipients": [{"email": "ada@example.com"}]}},
        query={"channel": "email", "email": "ada@example.com"},
    ),
    "service-email-events": Entry(
        bodies={
            "post": [
                {
                    "email": "ada@example.com",
                    "event": "delivered",
                    "timestamp": 1767225600,
                    "messageId": "msg-1",
                }
            ]
        }
    ),
    "service-email-events-sendgrid": Entry(
        bodies={
            "post": [
                {
                    "email": "ada@example.com",
                    "event": "delivered",
                    "timestamp": 1767225600,
                    "sg_event_id": "ZHVtbXkgZXZlbnQ",
                }
            ]
        }
    ),
    "log-detail": Entry(),
    "sendwithus:customers-create": Entry(bodies={"post": {"email": "new@example.com"}}),
    "sendwithus:customers-detail": Entry(),
    "sendwithus:customers-logs": Entry(),
    "sendwithus:log-detail": Entry(),
    "v2-contact-preferences-singular": Entry(
        bodies={"put": [{"id": "{preferenceId}", "isPreference": True, "isOptedIn": False}]}
    ),
    "v2-contacts": Entry(bodies={"post": {"email": "new@example.com", "optInType": "Single"}}),
    "v2-contacts-with-consent-and-preferences": Entry(
        bodies={"post": {"contact": {"email": "new@example.com", "optInType": "Single"}}}
    ),
    "v2-contact": Entry(),
    "v2-contact-with-consent": Entry(),
    "v2-contact-with-consent-and-preferences": Entry(
        bodies={"put": {"contact": {"email": "ada@example.com", "optInType": "Single"}}}
    ),
    "pages-preference-centre": Entry(public=True),
    "pages-unsubscribe": Entry(public=True),
}


def api_routes():
    return [route for route in routes() if route.documented]


def operations():
    """(route name, method) for every documented route and every method its view answers."""
    found = []
    for route in api_routes():
        view = route.view_class
        if view is not None:
            methods = [m for m in METHODS if hasattr(view, m)]
        else:  # a plain view: the methods its schema documents
            methods = sorted(getattr(route.callback, "openapi_operations", {}) or ["get"])
        found += [(route.name, method) for method in methods]
    return found


def test_every_route_has_an_entry():
    missing = [route.pattern for route in api_routes() if route.name not in ROUTES]
    unnamed = [route.pattern for route in api_routes() if route.name is None]
    assert not unnamed, f"give these routes a name= in urls.py: {unnamed}"
    assert not missing, f"add these routes to ROUTES in {__file__}: {missing}"


def test_no_entry_is_stale():
    names = {route.name for route in api_routes()}
    assert set(ROUTES) <= names


def row_counts(organisation=None) -> dict:
    """Rows of every consent table (the ledger included); only `organisation`'s if given."""
    counts = {}
    for label in CONSENT_APPS:
        for model in apps.get_app_config(label).get_models():
            rows = model.objects.all()
            if organisation is not None:
                names = {f.name for f in model._meta.get_fields()}
                for path in ("organisation", "customer__organisation", "department__organisation"):
                    if path.split("__")[0] in names:
                        rows = rows.filter(**{path: organisation})
                        break
            counts[model._meta.label] = rows.count()
    return counts


def call(client, route_name, method, world):
    route = next(r for r in api_routes() if r.name == route_name)
    url = reverse(route_name, kwargs={name: world.path_values[name] for name in route.parameters})
    body = ROUTES[route_name].bodies.get(method)
    if body is not None:
        body = _fill(body, world.path_values)
        return getattr(client, method)(url, body, format="json")
    return getattr(client, method)(url, ROUTES[route_name].query or None)


def _fill(body, values):
    if isinstance(body, dict):
        return {key: _fill(value, values) for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(item, values) for item in body]
    if isinstance(body, str) and body.startswith("{") and body.endswith("}"):
        value = values[body[1:-1]]
        return int(value) if value.isdigit() else value
    return body


def is_write(route_name, method) -> bool:
    route = next(r for r in api_routes() if r.name == route_name)
    return method.upper() not in SAFE_METHODS and not getattr(route.view_class, "reads_only", False)


@pytest.fixture
def world(organisation, other_organisation):
    build_world(other_organisation, domain="globex.example")  # data of its own
    return build_world(organisation)


@pytest.mark.parametrize(("route_name", "method"), operations(), ids=lambda v: str(v))
@pytest.mark.parametrize("persona", ["rw", "ro", "other", "anon"])
def test_access(
    route_name,
    method,
    persona,
    world,
    organisation,
    rw_client,
    ro_client,
    other_client,
    anon_client,
):
    entry = ROUTES[route_name]
    client = {"rw": rw_client, "ro": ro_client, "other": other_client, "anon": anon_client}[persona]
    route = next(r for r in api_routes() if r.name == route_name)
    before, ours_before = row_counts(), row_counts(organisation)

    response = call(client, route_name, method, world)
    status = response.status_code

    assert status < 500, response.content[:300]
    if entry.public:
        anon_status = (
            call(anon_client, route_name, method, world).status_code
            if persona != "anon"
            else status
        )
        assert status == anon_status
        assert row_counts() == before
        return
    if persona == "rw":
        assert 200 <= status < 300, response.content[:300]
        return
    if persona == "ro":
        if is_write(route_name, method):
            assert status == 403, response.content[:300]
            assert row_counts() == before
        else:
            assert 200 <= status < 300, response.content[:300]
        return
    if persona == "anon":
        assert status == 401, response.content[:300]
        assert row_counts() == before
        return
    # Another organisation's user.
    if set(route.parameters) - NOT_IDENTIFIERS:
        assert status == 404, response.content[:300]
        assert row_counts() == before
    else:
        assert status not in (401, 403), response.content[:300]
        assert row_counts(organisation) == ours_before
