"""schemathesis over our own OpenAPI document, against the WSGI app in-process (no network).

Every check is on (no 5xx, responses match their schemas, documented status codes and content
types, invalid data rejected, …), positive and negative data, derandomized and bounded so it
runs in CI in about a minute. Path parameters are real identifiers of `tests.world` for three
cases in four (the fourth keeps what schemathesis generated), and each case runs in a savepoint
that is rolled back, so one case's DELETE does not turn the next cases into 404s.
"""

import json
import zlib
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from conftest import basic_auth_header
from tests.world import build_world

MAX_EXAMPLES = 15
VENDOR_MAX_EXAMPLES = 10  # only no-5xx is checked there


def own_schema() -> dict:
    # JSON round trip: lazy translation strings become plain strings.
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


# Requests the schema cannot tell from valid ones, because what makes them wrong is stored data
# or a numbering plan: for these operations a 400 (the dialect's error) is a right answer to
# schema-valid data too. Each entry says why.
SEMANTIC_400 = {
    "GET /communications/department/{department_uuid}/optoutstatus": (
        "communicationValue must be a dialable phone number in the department's region"
    ),
    "POST /communications/department/{department_uuid}/optoutstatus": (
        "phone numbers must be dialable; customerUUID must name a customer of the organisation"
    ),
    "GET /v2/contacts/with-preference/{preferenceId}": "preferenceId must not be a category",
    "GET /v2/contacts/with-preference/{preferenceId}/opt-ins-since/{date}": (
        "preferenceId must not be a category"
    ),
    "POST /v2/preferences": "categoryId must name a category; categoryId and categoryID agree",
    "PUT /v2/preferences/{id}": (
        "categoryId must name a category and agree with categoryID; the body's id is the path's"
    ),
    "PUT /v2/contacts/{contactIdentifier}/preferences": (
        "each id's isPreference must match what the id is (preference or category)"
    ),
    "PUT /v2/contact/{contactIdentifier}/preferences": (
        "each id's isPreference must match what the id is (preference or category)"
    ),
    "PUT /v2/contacts/{contactIdentifier}/with-consent-and-preferences": (
        "contact.email must be the path's contact's address; each preference id's isPreference "
        "must match what the id is"
    ),
    "POST /v2/contacts/with-consent-and-preferences": (
        "each preference id's isPreference must match what the id is (preference or category)"
    ),
    "POST /v2/contacts/resubscribe": (
        "the address must pass the project's email syntax, stricter than idn-email (IDNA domains, "
        "letters, marks and digits in non-ASCII local parts)"
    ),
    "POST /v2/contacts/resubscribe-with-no-challenge": (
        "the address must pass the project's email syntax, stricter than idn-email (IDNA domains, "
        "letters, marks and digits in non-ASCII local parts)"
    ),
    "POST /consent/v1/email-events": (
        "a timestamp must be a date a datetime can hold (unix seconds up to the year 9999)"
    ),
    "POST /consent/v1/email-events/sendgrid": (
        "a timestamp must be a date a datetime can hold (unix seconds up to the year 9999)"
    ),
    "GET /consent/v1/decisions": (
        "exactly one of email, phone, customerId, contactId, correlationId names the recipient"
    ),
    "POST /consent/v1/decisions": (
        "each recipient has exactly one identifier; a phone must be dialable; preference must "
        "name a preference of the organisation"
    ),
}
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-name": name,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
            }
            for name in SEMANTIC_400
        ]
    }
)

schema = schemathesis.openapi.from_dict(own_schema(), config=CONFIG)
schema.app = WSGIHandler()


def vendor_schema() -> dict:
    """The vendor's own v2 document (a copy in tests/data), aimed at this app instead."""
    raw = json.loads((Path(__file__).parent / "data" / "v2_vendor.openapi.json").read_text())
    raw["servers"] = [{"url": "/"}]
    return raw


vendor = schemathesis.openapi.from_dict(vendor_schema())
vendor.app = schema.app


class _Rollback(Exception):
    pass


@pytest.fixture
def world(organisation, settings):
    # Rate limits off: schemathesis sends many requests, and many with wrong credentials.
    settings.API_RATE_LIMIT = 0
    settings.LOGIN_FAILURE_LIMIT = 0
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 0
    return build_world(organisation)


@pytest.fixture
def keep_the_connection():
    # As Django's test client does: a request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def use_real_identifiers(case, values):
    """Three cases in four get real identifiers (chosen from the case itself: deterministic).

    Never when the path itself was generated to be invalid: that case must be refused.
    """
    if not case.path_parameters or case.meta.is_negative_at(ParameterLocation.PATH):
        return
    if zlib.crc32(repr(sorted(case.path_parameters.items())).encode()) % 4 == 0:
        return
    for name in case.path_parameters:
        if name in values:
            case.path_parameters[name] = values[name]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, world, rw_user, keep_the_connection):
    use_real_identifiers(case, world.path_values)
    headers = {"Authorization": basic_auth_header(rw_user.username)}
    try:
        with transaction.atomic():
            case.call_and_validate(headers=headers)
            raise _Rollback
    except _Rollback:
        pass


@pytest.mark.django_db
@vendor.parametrize()
@settings(
    max_examples=VENDOR_MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_vendor_v2_document_gets_no_server_error(case, world, rw_user, keep_the_connection):
    """Clients built from the vendor's document: whatever they send, never a 5xx."""
    use_real_identifiers(case, world.path_values)
    headers = {"Authorization": basic_auth_header(rw_user.username)}
    try:
        with transaction.atomic():
            case.call_and_validate(headers=headers, checks=[not_a_server_error])
            raise _Rollback
    except _Rollback:
        pass
