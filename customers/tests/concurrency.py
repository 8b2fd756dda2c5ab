"""Run callables at the same moment, each in its own thread and database connection.

For PostgreSQL race tests (`postgres_only`, `django_db(transaction=True)`): SQLite serialises
every writer, so nothing runs concurrently there.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def run_together(calls):
    """Call every function at once; their results (or the exceptions they raised), in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=20)
            return call()
        except Exception as exc:  # the test asserts on it
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))
