"""Times the admin's big changelists (customers, ledger) over 1,000,000 customers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/consent_admin_bench \
        python bench/admin_changelists.py [--customers 1000000]

Creates (and drops) its own database named in DATABASE_URL, fills it set-based in SQL (one
organisation, N customers, one ledger event each), then opens each changelist as a staff user of
that organisation (not a superuser) through Django's test client, beside the bare SQL the page
needs: the planner estimate and the first page of rows, and the exact `COUNT(*)` the estimate
replaces.
"""

import argparse
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
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/consent_admin_bench")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
DB_NAME = os.environ["DATABASE_URL"].rsplit("/", 1)[-1]


def psql(sql, database="postgres"):
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qc", sql],
        check=True,
        capture_output=True,
    )


def timed(function, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(customers: int, runs: int) -> None:
    from results import machine_line, write_section

    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from conftest import staff_user_of
    from customers import services

    call_command("migrate", verbosity=0)
    organisation = services.organisation_get_or_create(slug="bench")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_customer (organisation_id, uuid, email, email_key, first_name, "
            "last_name, locale, data_fields, email_type, opt_in_type, created_at, updated_at) "
            "SELECT %s, gen_random_uuid(), 'c' || n || '@example.com', 'c' || n || '@example.com',"
            " '', '', 'en', '{}', 'Html', 'Unknown', now(), now() "
            "FROM generate_series(1, %s) AS n",
            [organisation.pk, customers],
        )
        cursor.execute(
            "INSERT INTO customers_consentevent (organisation_id, customer_id, subject_key, kind, "
            "target, old_value, new_value, source, source_detail, actor, user_agent, request_id, "
            "occurred_at) SELECT organisation_id, id, '', 'customer.profile', 'created', NULL, "
            "'[\"email\"]', 'import', '', '', '', '', now() FROM customers_customer"
        )
        cursor.execute("ANALYZE")
    fill_seconds = time.perf_counter() - started
    import django.contrib.auth.hashers

    client = Client()
    client.force_login(staff_user_of(organisation, "customers"))
    rows = []
    for label, url, table in [
        ("customers", "/admin/customers/customer/", "customers_customer"),
        ("ledger", "/admin/customers/consentevent/", "customers_consentevent"),
    ]:
        assert client.get(url).status_code == 200
        page_ms = timed(lambda url=url: client.get(url), runs)

        def bare(table=table):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"EXPLAIN (FORMAT JSON) SELECT * FROM {table} WHERE organisation_id = %s",
                    [organisation.pk],
                )
                cursor.fetchall()
                cursor.execute(
                    f"SELECT * FROM {table} WHERE organisation_id = %s ORDER BY id DESC LIMIT 100",
                    [organisation.pk],
                )
                cursor.fetchall()

        def exact_count(table=table):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT count(*) FROM {table} WHERE organisation_id = %s", [organisation.pk]
                )
                cursor.fetchone()

        bare_ms = timed(bare, runs)
        count_ms = timed(exact_count, max(3, runs // 3))
        rows.append(
            f"| {label} changelist | {page_ms:.0f} ms | {bare_ms:.1f} ms "
            f"| {page_ms / bare_ms:.1f}x | {count_ms:.0f} ms |"
        )
    write_section(
        "admin_changelists",
        f"""## Admin changelists over {customers:,} customers

{machine_line("admin_changelists.py")} Filled in {fill_seconds:.0f} s (SQL). Median of {runs}
page loads as a staff user of the organisation (not a superuser), through Django's test client.

| page | page load | bare SQL (estimate + first 100 rows) | ratio | exact `COUNT(*)`, avoided |
|---|---:|---:|---:|---:|
{chr(10).join(rows)}

Target: well under a second. The page's own work beyond the bare SQL is Django's template
rendering of 100 rows.
""",
    )
    print("\n".join(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    arguments = parser.parse_args()
    main(arguments.customers, arguments.runs)
