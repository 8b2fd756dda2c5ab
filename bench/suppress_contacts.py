"""Times PUT /v2/contacts/suppress-contacts with 10,000 items on PostgreSQL (target ≤ 500 ms).

    python bench/suppress_contacts.py [--database consent_bench] [--runs 3] [--no-write]
        [--profile FILE]

Creates (and drops) its own database (--database, else the one named in DATABASE_URL). Each run
uses a fresh organisation with 10,000 customers; "all found" suppresses all of them (10,000
suppressions, 10,000 ledger events), "half found" names 5,000 customers and 5,000 unknown
addresses. The call goes through Django's test client in-process; beside its wall time the
process's CPU time (the Python side) is shown, which a busy machine disturbs far less.
--profile writes a cProfile of the timed calls (CPU clock) to FILE.
"""

import argparse
import cProfile
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/consent_bench")
os.environ.setdefault("API_RATE_LIMIT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
# The production posture: no query log, no debug cursor.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def psql(sql):
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True, capture_output=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ["DATABASE_URL"].rsplit("/", 1)[-1])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", default=None, help="write a CPU-time cProfile here")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    options = parser.parse_args()
    DB_NAME = options.database
    os.environ["DATABASE_URL"] = (
        os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + options.database
    )
    runs = options.runs
    profiler = cProfile.Profile(time.process_time) if options.profile else None
    from results import machine_line, write_section

    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from customers import services
    from customers.models import Customer

    call_command("migrate", verbosity=0)
    results = {"all found": [], "half found": []}
    cpu = {case: [] for case in results}
    for run in range(runs):
        for case in results:
            org = services.organisation_get_or_create(slug=f"bench-{run}-{case[:3]}")
            services.api_user_create_or_update(
                organisation=org, username=f"u-{org.slug}", password="bench-password"
            )
            Customer.objects.bulk_create(
                Customer(organisation=org, email=f"c{n}@example.com", email_key=f"c{n}@example.com")
                for n in range(10_000)
            )
            ids = list(Customer.objects.for_organisation(org).values_list("id", flat=True))
            if case == "all found":
                body = [{"id": pk} for pk in ids]
            else:
                body = [{"id": pk} for pk in ids[:5_000]]
                body += [{"email": f"x{n}@example.com"} for n in range(5_000)]
            client = APIClient()
            client.login  # noqa: B018  (Basic auth below; warm the credential cache first)
            client.credentials(
                HTTP_AUTHORIZATION="Basic "
                + __import__("base64").b64encode(f"u-{org.slug}:bench-password".encode()).decode()
            )
            client.put("/v2/contacts/suppress-contacts", [{"email": "warm@x.io"}], format="json")
            # Encoded before the clock starts: the client's own JSON encoding is not the server's.
            payload = json.dumps(body)
            if profiler:
                profiler.enable()
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.put(
                "/v2/contacts/suppress-contacts", payload, content_type="application/json"
            )
            results[case].append((time.perf_counter() - started) * 1000)
            cpu[case].append((time.process_time() - started_cpu) * 1000)
            if profiler:
                profiler.disable()
            assert response.status_code == 200, response.content[:200]
    from django.db import connections

    connections.close_all()
    psql(f"DROP DATABASE {DB_NAME}")
    lines = [
        "## suppress-contacts, 10,000 items per call (target ≤ 500 ms)",
        "",
        machine_line("suppress_contacts.py"),
        "",
        "| case | median | runs | CPU of the Python process (median) |",
        "|---|---:|---|---:|",
    ]
    for case, times in results.items():
        median = statistics.median(times)
        cpu_median = statistics.median(cpu[case])
        runs_text = ", ".join(f"{t:.0f} ms" for t in times)
        print(
            f"suppress-contacts, 10,000 items, {case}: median {median:.0f} ms ({runs_text}); "
            f"CPU median {cpu_median:.0f} ms; load {os.getloadavg()[0]:.1f}"
        )
        verdict = "met" if median <= 500 else "NOT met"
        lines.append(
            f"| {case} | {median:.0f} ms ({verdict}) | {runs_text} | {cpu_median:.0f} ms |"
        )
    if profiler:
        profiler.dump_stats(options.profile)
    if not options.no_write:
        write_section("suppress_contacts", "\n".join(lines))


if __name__ == "__main__":
    main()
