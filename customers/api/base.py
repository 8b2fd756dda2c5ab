"""The base of every API view: the caller's organisation, its dialect's errors, its provenance."""

from functools import cached_property

from django.conf import settings
from rest_framework.views import APIView

from ..ledger import Provenance, Source
from ..middleware import CHUNKED_BODY_READ
from ..permissions import membership_of
from .dialects import SERVICE, Dialect, LengthRequired, PayloadTooLarge
from .guard import check_parameters


class OrganisationScopedView(APIView):
    """An API view scoped to the caller's organisation and speaking one error dialect.

    Subclasses set `dialect`, read with `self.organisation` (every queryset goes through
    `.for_organisation(self.organisation)` or customers.tenancy.get_in_organisation_or_404),
    and pass `self.provenance()` to the services they call.
    """

    dialect: Dialect = SERVICE

    def get_exception_handler(self):
        return self.dialect.handle_exception

    def get_parsers(self):
        if self.dialect.parser_classes is None:
            return super().get_parsers()
        return [parser() for parser in self.dialect.parser_classes]

    def get_content_negotiator(self):
        if not getattr(self, "_negotiator", None):
            self._negotiator = self.dialect.content_negotiation_class()
        return self._negotiator

    def initial(self, request, *args, **kwargs):
        # DRF's JSON parser reads the stream itself, past Django's body size check: refuse early.
        # (customers.parsers enforces the same limit while reading, whatever the header says.)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge()
        if not length and _is_chunked(request) and not request.META.get(CHUNKED_BODY_READ):
            # customers.middleware.ChunkedBodyMiddleware reads chunked bodies when the server
            # says they are terminated; when it could not, the body would read as empty.
            raise LengthRequired()
        super().initial(request, *args, **kwargs)
        # After authentication, so callers without credentials still get their 401.
        check_parameters(request, kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(self._forget_response)
        return response

    def _forget_response(self, response) -> None:
        # DRF keeps the answer on the view (view.response) and the answer in its own
        # renderer_context (renderer_context["response"]): reference cycles, so the answer's
        # data (a 1,000-row list page: thousands of dicts and lists) outlived the request until
        # a full garbage collection found it, 50-250 ms each. Rendered, the answer needs
        # neither; without the cycles it goes as soon as the server lets go of it.
        self.response = None
        if response.renderer_context:
            response.renderer_context.pop("response", None)

    @cached_property
    def organisation(self):
        return membership_of(self.request.user).organisation

    def provenance(self, detail: str | None = None) -> Provenance:
        return Provenance.from_request(self.request, source=Source.API, detail=detail)


def _is_chunked(request) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
