import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
# What lives as long as the process (settings, models, URLs and the views they import) leaves
# the collector's care: a full collection no longer walks it, which cost a 10,000-recipient
# decision about a third of its CPU (bench/RESULTS.md, decisions).
get_resolver().url_patterns  # noqa: B018 (imports the views now rather than on a first request)
gc.freeze()
