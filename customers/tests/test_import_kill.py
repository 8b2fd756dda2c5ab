"""An import killed halfway (SIGKILL, no chance to clean up) and run again ends with exactly the
right data: every row once, one ledger event per customer, nothing half-written."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from customers.models import ConsentEvent, Customer
from tests.live import database_url

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROWS = 60_000
BASE_DIR = Path(__file__).resolve().parent.parent.parent


def import_process(path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}
    command = [sys.executable, "manage.py", "import_customers", str(path)]
    command += ["--organisation", "acme", "--no-progress"]
    return subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_an_import_killed_halfway_and_run_again_ends_with_exactly_the_right_data(
    tmp_path, organisation
):
    path = tmp_path / "customers.csv"
    with path.open("w") as f:
        f.write("email,first_name,locale,tier\n")
        for i in range(ROWS):
            f.write(f"kill-{i}@example.com,Name{i},en,{i % 7}\n")

    process = import_process(path)
    deadline = time.monotonic() + 120
    while Customer.objects.count() == 0 and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    halfway = Customer.objects.count()
    assert 0 < halfway < ROWS, "the import was not killed halfway"

    rerun = import_process(path)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()

    customers = Customer.objects.filter(organisation=organisation)
    assert customers.count() == ROWS
    assert set(customers.values_list("email", flat=True)) == {
        f"kill-{i}@example.com" for i in range(ROWS)
    }
    sample = customers.get(email="kill-12345@example.com")
    assert (sample.first_name, sample.locale, sample.data_fields) == (
        "Name12345",
        "en",
        {"tier": str(12345 % 7)},
    )
    # One "customer.profile" event per customer: none lost, none doubled by the re-run.
    events = ConsentEvent.objects.filter(organisation=organisation, kind="customer.profile")
    assert events.count() == ROWS
    assert events.values("customer").distinct().count() == ROWS
