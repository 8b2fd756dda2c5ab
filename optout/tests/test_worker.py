"""A real Celery worker, against Redis, applies asynchronous requests (PostgreSQL only).

Starts `celery -A config worker` as a subprocess on its own queue, pointed at the test
database, and polls (bounded) until the request is applied. Skipped only when Redis is
unreachable; CI starts Redis. OPTOUT_TEST_REDIS_URL picks another Redis or database number.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from config.celery import app as celery_app
from customers.models import ConsentEvent
from optout import services, tasks
from optout.models import CommunicationStatus, ProcessedMessage
from optout.tests.test_optoutstatus import body, email, post, sms

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("OPTOUT_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
WAIT_SECONDS = 30

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="The worker is a separate process: it needs a database server, not SQLite.",
    ),
    pytest.mark.django_db(transaction=True),
]


def redis_client():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is unreachable at {REDIS_URL} ({exc}); the real-worker test needs it.")
    return client


def database_url() -> str:
    """The test database, as a DATABASE_URL the worker's settings understand."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def worker_queue(monkeypatch):
    """A running worker consuming a queue of its own; this process sends to that queue."""
    broker = redis_client()
    queue = f"optout-test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CONN_MAX_AGE": "0",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    saved = {
        key: celery_app.conf[key]
        for key in ("broker_url", "task_always_eager", "task_default_queue")
    }
    celery_app.conf.update(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue)
    _drop_connection_pools()
    # Earlier tests may have built the app's router with the default queue: name ours explicitly.
    send = tasks.apply_queued_message.apply_async
    monkeypatch.setattr(tasks.apply_queued_message, "delay", lambda *args: send(args, queue=queue))
    try:
        yield worker
    finally:
        celery_app.conf.update(saved)
        _drop_connection_pools()
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        broker.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        print(output)  # shown by pytest when the test fails


def _drop_connection_pools():
    """Forget broker connections made with an earlier broker URL (pools are built once)."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def wait_until_applied(worker) -> ProcessedMessage:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        message = ProcessedMessage.objects.get()
        if message.state == ProcessedMessage.State.APPLIED:
            return message
        assert worker.poll() is None, "the worker died"
        time.sleep(0.1)
    raise AssertionError(f"Not applied by the worker within {WAIT_SECONDS} s.")


def test_a_real_worker_applies_an_asynchronous_request(rw_client, department, worker_queue):
    started = time.monotonic()
    # Not this process: the in-process fallback (broker unreachable) must not be what applies it.
    with mock.patch.object(
        services, "optout_queued_message_apply", side_effect=AssertionError("applied in-process")
    ) as in_process:
        response = post(
            rw_client,
            department,
            body(
                email("ada@example.com", False),
                sms("2025550143", False),
                processSynchronously=False,
            ),
        )
    answered = time.monotonic() - started
    in_process.assert_not_called()

    assert response.json() == {"errors": [], "warnings": []}
    assert answered < 2  # answered at once, not after the work
    message = wait_until_applied(worker_queue)
    assert message.payload is None
    assert CommunicationStatus.objects.filter(ok_to_communicate=False).count() == 2
    assert set(ConsentEvent.objects.values_list("source", flat=True)) == {"worker"}
    assert ConsentEvent.objects.count() == 2
