"""Content negotiation for dialects whose clients mislabel JSON.

The Sendwithus clients (seed 004) send JSON bodies labelled `text/plain` (npm) and ask for
`Accept: text/plain` (Python). Their API answered JSON anyway, so ours does: a body is read as
JSON whatever its Content-Type says (a body that is not JSON is the dialect's 400), and the answer
is JSON whatever Accept asks, never a 406 or 415.
"""

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser


class JSONWhateverTheHeaders(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        for parser in parsers:
            if isinstance(parser, JSONParser):
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return (renderer, renderer.media_type)
