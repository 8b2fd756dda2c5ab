"""seed_demo prints working hosted-page links for an English and a German demo customer."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_seed_demo_prints_preference_centre_and_unsubscribe_links(client):
    out = StringIO()
    call_command("seed_demo", "--base-url", "http://127.0.0.1:8000", stdout=out)
    output = out.getvalue()
    centres = re.findall(
        r"preference centre: http://127\.0\.0\.1:8000(/pages/preferences/\S+)", output
    )
    unsubscribes = re.findall(
        r"unsubscribe: +http://127\.0\.0\.1:8000(/pages/unsubscribe/\S+)", output
    )
    assert len(centres) == len(unsubscribes) == 2
    languages = []
    for path in centres + unsubscribes:
        response = client.get(path)
        assert response.status_code == 200
        languages.append(response["Content-Language"])
    assert languages == ["en", "de", "en", "de"]
    assert "/links" in output
