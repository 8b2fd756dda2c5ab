"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py config.wsgi`.

Every value can be overridden by the environment (GUNICORN_WORKERS, …) or on the command line.
Sync workers, two per core: a request holds its worker while it waits for PostgreSQL, so a
second worker per core keeps the core busy meanwhile (measured in bench/api.py, bench/RESULTS.md).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", 1))
# Sockets waiting for a free worker.
backlog = 2048
timeout = 30
graceful_timeout = 30
keepalive = 5
# "-" logs each request to stdout; set GUNICORN_ACCESSLOG= (empty) to turn it off.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
