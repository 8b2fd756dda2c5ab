"""The front door: a landing page that links the admin, the API documents and health."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_landing_page_links_admin_docs_and_health(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    for href in ('href="/admin/"', 'href="/api/docs/"', 'href="/api/schema/"', 'href="/healthz"'):
        assert href in body
    assert "<title>Consent service</title>" in body


def test_the_admin_names_the_service_and_view_site_opens_the_landing_page(admin_client):
    body = admin_client.get("/admin/").content.decode()
    assert "Consent service administration" in body
    assert '<a href="/">View site</a>' in body
