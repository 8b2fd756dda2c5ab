"""The one signer of links to the hosted pages, and the links a sender puts on outgoing mail.

A token names the page it is for (one salt per page, so a token for one page is forged on
another), the organisation and the customer. Tokens are timestamped; each page has its own
lifetime (unsubscribe links must keep working for at least a year, preference-centre links for at
least 30 days). Pages read a token with `read_link_token`, which tells a forged token (404) from
an expired one (410).
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core import signing
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import decorator_from_middleware

PREFERENCE_CENTRE = "preferences"
UNSUBSCRIBE = "unsubscribe"

# Page → how long its links work.
LINK_LIFETIMES = {
    PREFERENCE_CENTRE: timedelta(days=90),
    UNSUBSCRIBE: timedelta(days=400),
}
_SALT_PREFIX = "consent.pages."


class LinkForged(Exception):
    """The token was not signed by us for this page (or is garbage): a 404 page."""


class LinkExpired(Exception):
    """The token was ours but is past its page's lifetime: a 410 page."""


@dataclass(frozen=True)
class LinkSubject:
    organisation_id: int
    customer_uuid: str


def sign_link_token(page: str, *, organisation_id: int, customer_uuid) -> str:
    """A signed, timestamped token for `page` naming the organisation and the customer."""
    if page not in LINK_LIFETIMES:
        raise ValueError(f"Unknown hosted page {page!r}.")
    return signing.dumps(
        {"o": organisation_id, "c": str(customer_uuid)}, salt=_SALT_PREFIX + page, compress=True
    )


def read_link_token(page: str, token: str) -> LinkSubject:
    """Who a token for `page` names; LinkForged or LinkExpired otherwise."""
    salt = _SALT_PREFIX + page
    try:
        payload = signing.loads(token, salt=salt, max_age=LINK_LIFETIMES[page])
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise LinkForged from exc
    try:
        return LinkSubject(organisation_id=int(payload["o"]), customer_uuid=str(payload["c"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise LinkForged from exc


def page_url(page: str, token: str) -> str:
    """The absolute URL of a hosted page, on SITE_URL (the pages live at /pages/<page>/<token>)."""
    return f"{settings.SITE_URL}/pages/{page}/{token}"


def customer_links(customer) -> dict:
    """The links and headers a sender puts on a marketing email to `customer`.

    `List-Unsubscribe` points at the unsubscribe page, which also accepts RFC 8058's one-click
    POST (`List-Unsubscribe=One-Click`), announced by `List-Unsubscribe-Post`.
    """
    subject = {"organisation_id": customer.organisation_id, "customer_uuid": customer.uuid}
    unsubscribe_url = page_url(UNSUBSCRIBE, sign_link_token(UNSUBSCRIBE, **subject))
    return {
        "preferenceCentreUrl": page_url(
            PREFERENCE_CENTRE, sign_link_token(PREFERENCE_CENTRE, **subject)
        ),
        "unsubscribeUrl": unsubscribe_url,
        "headers": {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }


# Every response of a hosted page carries these (the token in the URL is a key to the person's
# consent: no cache may keep the page, no Referer may carry it on, no search engine may list it).
HOSTED_PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


def hosted_page(view):
    """Decorate a hosted page's view: no-store caching and the headers above on every answer."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Cache-Control"] = "no-store"
        for name, value in HOSTED_PAGE_HEADERS.items():
            response[name] = value
        return response

    return wrapper


class _HostedPageCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF protection for a page served with `Referrer-Policy: no-referrer`.

    Under that policy browsers post a page's own form with `Origin: null` (and no Referer),
    which Django's origin check refuses: every real browser would get a 403. Only that literal
    "null" origin is let through to the token check, which still applies in full (the form's
    token must match the CSRF cookie, which is SameSite=Lax); any other origin is checked as
    usual.
    """

    def _origin_verified(self, request):
        return request.META["HTTP_ORIGIN"] == "null" or super()._origin_verified(request)


# For the form POSTs of hosted pages; the view itself is csrf_exempt so the site-wide
# middleware leaves the check to this.
hosted_page_csrf_protect = decorator_from_middleware(_HostedPageCsrfMiddleware)
