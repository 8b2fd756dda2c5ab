"""An API answer is freed as soon as it has been sent, not by the garbage collector."""

import gc
import weakref

from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from customers.api.base import OrganisationScopedView


class _Page(OrganisationScopedView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = []

    def get(self, request):
        return Response([{"id": n, "rows": [n]} for n in range(3)])


def test_a_rendered_answer_is_freed_without_the_garbage_collector():
    response = _Page.as_view()(APIRequestFactory().get("/page"))
    response.render()
    answer = weakref.ref(response)
    gc.disable()
    try:
        del response
        assert answer() is None
    finally:
        gc.enable()


def test_settling_the_heap_freezes_what_is_loaded():
    from config.wsgi import settle_heap

    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
