from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ApiUserRateThrottle(SimpleRateThrottle):
    """API_RATE_LIMIT requests per minute per API user (0 turns limiting off); 429 past it."""

    scope = "api_user"

    def get_rate(self):
        limit = settings.API_RATE_LIMIT
        return f"{limit}/min" if limit > 0 else None

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
