from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from customers import urls as customers_urls
from emaillogs import urls as emaillogs_urls
from optout import urls as optout_urls
from preferences import urls as preferences_urls
from subscriptions import urls as subscriptions_urls

from . import views

APPS = [customers_urls, emaillogs_urls, preferences_urls, subscriptions_urls, optout_urls]

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
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
for app_urls in APPS:
    urlpatterns += [
        path("consent/v1/", include(app_urls.consent_v1_urlpatterns)),
        # Vendor dialects, at their documented paths (no trailing slash, never a redirect).
        path("", include(app_urls.dialect_urlpatterns)),
    ]
