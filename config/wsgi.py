import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def settle_heap() -> None:
    """Move everything loaded so far out of the garbage collector's sight (gc.freeze).

    The code, settings and URL patterns live as long as the process, yet a full collection
    walks them all: about 110,000 objects, 50-250 ms, every dozen 1,000-row list pages
    (bench/lists.py), and about a third of a 10,000-recipient decision's CPU (bench/RESULTS.md,
    decisions). Frozen, a full collection walks only what requests left behind.
    """
    from django.urls import get_resolver

    _ = get_resolver().url_patterns  # imports every view module now, not on the first request
    gc.collect()
    gc.freeze()


application = get_wsgi_application()
settle_heap()
