# Routes of this app: the service's own API (mounted under /api/v1/) and vendor dialect routes
# (mounted at the site root, at their documented paths).
api_v1_urlpatterns: list = []
dialect_urlpatterns: list = []
