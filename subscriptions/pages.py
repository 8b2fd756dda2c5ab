"""Hosted pages of the subscriptions app (DESIGN §6): plain HTML, no JavaScript, no login.

The resubscribe confirmation page: GET shows what will happen and a confirm button, POST
confirms. A link that was used or has expired answers 410 and changes nothing.
"""

from urllib.parse import urlsplit

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from customers.ledger import Provenance, Source
from customers.links import hosted_page, hosted_page_csrf_protect
from customers.schema import html_response, plain_view_schema

from . import services

TEMPLATES = "subscriptions/resubscribe"


def _page(request, challenge, name: str, status: int = 200, **context):
    language = challenge.locale if challenge else "en"
    context.update(
        language=language,
        organisation=challenge.organisation.name if challenge else "",
        email=challenge.email if challenge else "",
    )
    return render(request, f"{TEMPLATES}/{language}/{name}.html", context, status=status)


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


PAGES = "Hosted pages"
GONE = html_response("The link was used or has expired; nothing changed")
NOT_FOUND = html_response("No such link")


@plain_view_schema(
    get={
        "operationId": "page_resubscribe_confirm_show",
        "summary": "Resubscribe confirmation page",
        "description": "The page a resubscribe email links to: what will happen, and a button.",
        "tags": [PAGES],
        "responses": {
            "200": html_response("The confirmation form"),
            "404": NOT_FOUND,
            "410": GONE,
        },
    },
    post={
        "operationId": "page_resubscribe_confirm",
        "summary": "Confirm a resubscribe",
        "description": (
            "The confirmation form's submission: resubscribes the address, then shows a thank-you "
            "page or goes to the caller's return URL."
        ),
        "tags": [PAGES],
        "responses": {
            "200": html_response("Resubscribed"),
            "303": {"description": "Resubscribed; on to the return URL given with the request"},
            "403": html_response("The form's CSRF token is missing or wrong"),
            "404": NOT_FOUND,
            "410": GONE,
        },
    },
)
# No cache, no Referer (the token is in the URL), no search engine; the method is checked before
# the CSRF token (another method is a 405, not a 403), then the CSRF check that works under
# no-referrer (browsers post with `Origin: null`).
@csrf_exempt
@hosted_page
@require_http_methods(["GET", "POST"])
@hosted_page_csrf_protect
def resubscribe_confirm(request, token):
    try:
        challenge = services.challenge_from_token(token)
    except services.ChallengeNotFound:
        return _page(request, None, "not_found", status=404)
    if request.method == "GET":
        state = services.challenge_state(challenge)
        if state != "pending":
            return _page(request, challenge, "gone", status=410, why=state)
        return _page(request, challenge, "confirm")
    try:
        challenge = services.challenge_confirm(
            challenge_id=challenge.pk,
            provenance=Provenance.from_request(request, source=Source.HOSTED_PAGE),
        )
    except services.ChallengeGone as exc:
        return _page(request, challenge, "gone", status=410, why=exc.why)
    except services.ChallengeNotFound:
        return _page(request, None, "not_found", status=404)
    # Checked again here, not only when the URL was given: only ever http(s).
    if challenge.return_url and _is_http_url(challenge.return_url):
        return HttpResponseRedirect(challenge.return_url, status=303)
    return _page(request, challenge, "done")
