"""Times PUT /v2/contacts/suppress-contacts with 10,000 items on PostgreSQL (DESIGN §10: ≤ 1 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/consent_bench python bench/suppress_contacts.py

Creates (and drops) its own database named in DATABASE_URL. Each run uses a fresh organisation
with 10,000 customers; "all found" suppresses all of them (10,000 suppressions, 10,000 ledger
events), "half found" names 5,000 customers and 5,000 unknown addresses.
"""

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
DB_NAME = os.environ["DATABASE_URL"].rsplit("/", 1)[-1]


def psql(sql):
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True, capture_output=True
    )


def main(runs: int = 3) -> None:
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
            started = time.perf_counter()
            response = client.put("/v2/contacts/suppress-contacts", body, format="json")
            results[case].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content[:200]
    from django.db import connections

    connections.close_all()
    psql(f"DROP DATABASE {DB_NAME}")
    lines = [
        "## suppress-contacts, 10,000 items per call (target ≤ 1 s)",
        "",
        machine_line("suppress_contacts.py"),
        "",
        "| case | median | runs |",
        "|---|---:|---|",
    ]
    for case, times in results.items():
        median = statistics.median(times)
        runs_text = ", ".join(f"{t:.0f} ms" for t in times)
        print(f"suppress-contacts, 10,000 items, {case}: median {median:.0f} ms ({runs_text})")
        verdict = "met" if median <= 1000 else "NOT met"
        lines.append(f"| {case} | {median:.0f} ms ({verdict}) | {runs_text} |")
    write_section("suppress_contacts", "\n".join(lines))


if __name__ == "__main__":
    main()
