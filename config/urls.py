from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from customers import urls as customers_urls
from decisions import urls as decisions_urls
from emaillogs import urls as emaillogs_urls
from optout import urls as optout_urls
from pages import urls as pages_urls
from preferences import urls as preferences_urls
from subscriptions import urls as subscriptions_urls

from . import views

APPS = [
    customers_urls,
    emaillogs_urls,
    preferences_urls,
    subscriptions_urls,
    optout_urls,
    pages_urls,
    decisions_urls,
]

# The admin names the service, and its "View site" link opens the landing page.
admin.site.site_header = f"{settings.SERVICE_NAME} administration"
admin.site.site_title = settings.SERVICE_NAME
admin.site.index_title = "Customers, consent and the ledger"
admin.site.site_url = "/"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", views.ApiDocsView.as_view(url_name="schema"), name="api-docs"),
]
for app_urls in APPS:
    urlpatterns += [
        path("consent/v1/", include(app_urls.consent_v1_urlpatterns)),
        # Vendor dialects, at their documented paths (no trailing slash, never a redirect).
        path("", include(app_urls.dialect_urlpatterns)),
    ]

# Seed 004 is the customers API of Sendwithus, whose clients call it under /api/v1/: one set of
# routes mounted twice. Names resolve at the root as they are ("customers-detail") and under
# /api/v1/ in the "sendwithus" namespace ("sendwithus:customers-detail").
SEED_004 = customers_urls.seed_004_urlpatterns + emaillogs_urls.seed_004_urlpatterns
urlpatterns += [
    path("", include(SEED_004)),
    path("api/v1/", include((SEED_004, "sendwithus"))),
]

# Keep these last: any other path under an API's prefix is that API's JSON 404, not Django's page.
urlpatterns += [
    re_path(r"^consent/v1/", views.ServiceUnknownPathView.as_view(), name="service-unknown-path"),
    re_path(r"^v2/", views.V2UnknownPathView.as_view(), name="v2-unknown-path"),
]

# An error no view handled: the route's dialect JSON (a 503 while the database is down).
handler500 = "config.views.server_error"
