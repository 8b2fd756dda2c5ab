"""The one authentication setup for every API route: HTTP Basic, Bearer tokens and API-key headers.

An API token (issued by `create_api_user --token`) is accepted in three forms, because vendor
clients send it differently: `Authorization: Bearer <key>`, HTTP Basic with the key as the user
name and an empty password (the Sendwithus clients), and the header `X-SWU-API-KEY: <key>`.
"""

import base64
import binascii
import hashlib
import hmac
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    BasicAuthentication,
    get_authorization_header,
)

from .models import ApiToken
from .selectors import api_user
from .throttling import LoginFailures

BAD_CREDENTIALS = "Invalid username/password."


def _is_clean(text: str) -> bool:
    """No control characters (NUL, C0, DEL, C1): nothing a user name or password may hold."""
    return not any(unicodedata.category(ch) == "Cc" for ch in text)


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def authenticate_token(request, key: str, message: str = "Invalid API token."):
    """(user, token) for a live token's key; AuthenticationFailed otherwise (one query).

    Failed keys count per client address (and per key prefix, the token's "user name"), and a
    caller past the limit is refused before the database.
    """
    failures = LoginFailures(request, f"token:{key[:8]}")
    failures.check(cache.get_many(failures.keys))
    token = (
        ApiToken.objects.select_related("user__membership__organisation")
        .filter(key_digest=token_digest(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        failures.record()
        raise exceptions.AuthenticationFailed(message)
    return (token.user, token)


class CachedBasicAuthentication(BasicAuthentication):
    """HTTP Basic, with verified credentials remembered for BASIC_AUTH_CACHE_SECONDS.

    Password hashing is deliberately slow (hundreds of milliseconds); an integration that sends
    Basic credentials on every call would spend most of its time there. We remember a keyed digest
    of the exact username and password together with the stored password hash, so a changed
    password or a deactivated user stops working at once.
    """

    www_authenticate_realm = "api"

    def authenticate(self, request):
        """Credentials from `Authorization: Basic …`, decoded strictly.

        Anything that is not base64 of UTF-8 `name:password` without control characters (a NUL
        byte, say) is bad credentials, a 401, before the database or a password hash is touched.
        """
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() != b"basic":
            return None
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed("Invalid basic header.")
        try:
            decoded = base64.b64decode(auth[1], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise exceptions.AuthenticationFailed(BAD_CREDENTIALS) from exc
        userid, colon, password = decoded.partition(":")
        if not colon or not _is_clean(userid) or not _is_clean(password):
            raise exceptions.AuthenticationFailed(BAD_CREDENTIALS)
        return self.authenticate_credentials(userid, password, request)

    def authenticate_credentials(self, userid, password, request=None):
        if password == "":
            # An API token as the user name and no password, as the Sendwithus clients send it.
            # Users cannot log in with an empty password, so this reading is unambiguous.
            return authenticate_token(request, userid, BAD_CREDENTIALS)
        cache_key = (
            "basic-auth:"
            + hmac.new(
                settings.SECRET_KEY.encode(), f"{userid}\0{password}".encode(), hashlib.sha256
            ).hexdigest()
        )
        failures = LoginFailures(request, userid)
        # One cache round trip: the remembered credential and the failure counters.
        cached = cache.get_many([cache_key, *failures.keys])
        failures.check(cached)  # before the database and any hashing
        # One fixed statement: the user with its membership and organisation.
        user = api_user(userid)
        if user is None or not user.is_active:
            # Hash anyway, so a missing user takes as long as a wrong password.
            get_user_model()().set_password(password)
            failures.record()
            raise exceptions.AuthenticationFailed(BAD_CREDENTIALS)

        if cached.get(cache_key) != user.password:
            if not user.check_password(password):
                failures.record()
                raise exceptions.AuthenticationFailed(BAD_CREDENTIALS)
            cache.set(cache_key, user.password, settings.BASIC_AUTH_CACHE_SECONDS)
        return (user, None)


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>` with a key issued by `create_api_user --token`."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid bearer header.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid bearer token.") from exc
        return authenticate_token(request, key, "Invalid bearer token.")

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyHeaderAuthentication(BaseAuthentication):
    """`X-SWU-API-KEY: <key>` with an API token's key, as the Sendwithus clients send it."""

    header = "HTTP_X_SWU_API_KEY"

    def authenticate(self, request):
        key = request.META.get(self.header)
        if key is None:
            return None
        key = key.strip()
        if not key or not key.isascii():
            raise exceptions.AuthenticationFailed("Invalid API key.")
        return authenticate_token(request, key, "Invalid API key.")
