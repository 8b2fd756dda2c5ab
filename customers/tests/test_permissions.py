"""The read-only role: reads allowed, writes 403, unless the view only reads (a batch lookup)."""

import pytest
from django.urls import path
from rest_framework.response import Response

from customers.api.base import OrganisationScopedView

pytestmark = pytest.mark.django_db


class BatchLookupView(OrganisationScopedView):
    reads_only = True

    def post(self, request):
        return Response({"organisation": self.organisation.slug})


class WriteView(OrganisationScopedView):
    def post(self, request):
        return Response({})


urlpatterns = [path("lookup", BatchLookupView.as_view()), path("write", WriteView.as_view())]


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = __name__


def test_a_read_only_user_may_post_to_a_view_that_only_reads(ro_client):
    response = ro_client.post("/lookup", {}, format="json")
    assert response.status_code == 200
    assert response.json() == {"organisation": "acme"}


def test_a_read_only_user_may_not_post_to_a_view_that_writes(ro_client, rw_client):
    assert ro_client.post("/write", {}, format="json").status_code == 403
    assert rw_client.post("/write", {}, format="json").status_code == 200
