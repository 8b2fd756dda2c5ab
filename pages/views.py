"""The hosted pages (preference centre, unsubscribe): plain HTML forms, no login, no JavaScript.

Views stay thin: read the link, call a selector or service, render. Every answer carries the
hosted-page headers (customers.links.hosted_page) and speaks the customer's language.
"""

from functools import wraps

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from customers import links
from customers.ledger import Provenance, Source
from customers.schema import html_response, plain_view_schema

from . import selectors, services

ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"
SAVED, CONFIRM = "1", "confirm"  # ?saved= after a preference-centre save


# The pages need nothing but their own stylesheet and to post their forms back to themselves.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def hosted(view):
    """The hosted-page headers (customers.links.hosted_page) and this app's strict CSP."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    return links.hosted_page(wrapper)


def page_language(locale: str | None) -> str:
    """A supported language for a customer's locale ("de-AT" → "de"); English otherwise."""
    code = (locale or "").replace("_", "-").strip().lower()
    try:
        return translation.get_supported_language_variant(code) if code else "en"
    except LookupError:
        return "en"


def _render(request, template, language, context=None, status=200):
    with translation.override(language):
        response = render(
            request,
            f"pages/{template}.html",
            {"language": language, **(context or {})},
            status=status,
        )
    response["Content-Language"] = language
    return response


def _link_error(request, exc):
    """A forged (or erased customer's) link is a 404 page, an expired one a 410 page."""
    language = page_language(translation.get_language_from_request(request))
    if isinstance(exc, links.LinkExpired):
        return _render(request, "link_expired", language, status=410)
    return _render(request, "link_not_found", language, status=404)


def _provenance(request, detail=None):
    return Provenance.from_request(request, source=Source.HOSTED_PAGE, detail=detail)


PAGES = "Hosted pages"
GONE = html_response("The link has expired; nothing changed")
NOT_FOUND = html_response("No such link (forged, or its customer was erased)")
CSRF_REFUSED = html_response("The form's CSRF token is missing or wrong; nothing changed")


@plain_view_schema(
    get={
        "operationId": "page_preference_centre_show",
        "summary": "Preference centre",
        "description": (
            "The page an email's preference-centre link opens: the customer's topics and "
            "channels, with a form to change them."
        ),
        "tags": [PAGES],
        "responses": {"200": html_response("The form"), "404": NOT_FOUND, "410": GONE},
    },
    post={
        "operationId": "page_preference_centre_save",
        "summary": "Save the preference centre",
        "description": (
            "The form's submission: saves the choices, then goes back to the page "
            "(post/redirect/get)."
        ),
        "tags": [PAGES],
        "responses": {
            "303": {"description": "Saved; on to the page, which shows the saved state"},
            "403": CSRF_REFUSED,
            "404": NOT_FOUND,
            "410": GONE,
        },
    },
)
# The method is checked before the CSRF token (another method is a 405, not a 403); the form's
# POST is CSRF-checked by hosted_page_csrf_protect (see customers.links for why).
@csrf_exempt
@hosted
@require_http_methods(["GET", "POST"])
@links.hosted_page_csrf_protect
def preference_centre(request, token):
    try:
        customer = selectors.customer_for_link(links.PREFERENCE_CENTRE, token)
    except (links.LinkForged, links.LinkExpired) as exc:
        return _link_error(request, exc)
    shown = selectors.preference_centre(customer)
    if request.method == "POST":
        choice = services.PreferenceCentreChoice(
            topics={
                topic_id: str(topic_id) in request.POST.getlist("topic")
                for topic_id in shown.topic_ids
            },
            email=request.POST.get("email") == "on" if shown.has_email else None,
            sms=request.POST.get("sms") == "on" if shown.has_phone else None,
        )
        result = services.preference_centre_save(
            customer=customer, shown=shown, choice=choice, provenance=_provenance(request)
        )
        # Post/redirect/get: a reload shows the saved state and never posts again.
        saved = CONFIRM if result.confirmation_sent else SAVED
        return HttpResponseRedirect(f"{request.path}?saved={saved}", status=303)
    return _render(
        request,
        "preference_centre",
        page_language(customer.locale),
        {
            "customer": customer,
            "organisation": customer.organisation.name,
            "centre": shown,
            "saved": request.GET.get("saved") in (SAVED, CONFIRM),
            "confirmation_sent": request.GET.get("saved") == CONFIRM,
        },
    )


@plain_view_schema(
    get={
        "operationId": "page_unsubscribe_show",
        "summary": "Unsubscribe page",
        "description": (
            "The page an email's unsubscribe link opens: a button to unsubscribe; "
            "opening it changes nothing."
        ),
        "tags": [PAGES],
        "responses": {"200": html_response("The page"), "404": NOT_FOUND, "410": GONE},
    },
    post={
        "operationId": "page_unsubscribe",
        "summary": "Unsubscribe",
        "description": (
            "The page's form, or an RFC 8058 one-click POST (`List-Unsubscribe=One-Click`, no "
            "CSRF token): unsubscribes the customer and shows that it is done."
        ),
        "tags": [PAGES],
        "responses": {
            "200": html_response("Unsubscribed"),
            "403": CSRF_REFUSED,
            "404": NOT_FOUND,
            "410": GONE,
        },
    },
)
# csrf_exempt for RFC 8058's one-click POST only, which a mailbox provider sends with no cookie
# and no token; the interactive form's POST is checked by hosted_page_csrf_protect below.
@csrf_exempt
@hosted
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    try:
        customer = selectors.customer_for_link(links.UNSUBSCRIBE, token)
    except (links.LinkForged, links.LinkExpired) as exc:
        return _link_error(request, exc)
    if request.method == "POST" and request.POST.get(ONE_CLICK_FIELD) == ONE_CLICK_VALUE:
        return _unsubscribe_now(request, customer, one_click=True)
    return _unsubscribe_page(request, customer)


@links.hosted_page_csrf_protect
def _unsubscribe_page(request, customer):
    if request.method == "POST":
        return _unsubscribe_now(request, customer, one_click=False)
    # GET changes nothing: mail scanners and link previews follow links.
    return _render(
        request,
        "unsubscribe",
        page_language(customer.locale),
        {"customer": customer, "organisation": customer.organisation.name},
    )


def _unsubscribe_now(request, customer, *, one_click):
    detail = None
    if one_click:
        detail = f"POST /{request.resolver_match.route} (RFC 8058 one-click)"
    services.customer_unsubscribe(customer=customer, provenance=_provenance(request, detail))
    # 200 with the page, never a redirect: one-click clients do not follow one.
    return _render(
        request,
        "unsubscribed",
        page_language(customer.locale),
        {
            "customer": customer,
            "organisation": customer.organisation.name,
            # Same site, so a relative link: it works behind any host name.
            "preference_centre_url": reverse(
                "pages-preference-centre",
                args=[
                    links.sign_link_token(
                        links.PREFERENCE_CENTRE,
                        organisation_id=customer.organisation_id,
                        customer_uuid=customer.uuid,
                    )
                ],
            ),
        },
    )
