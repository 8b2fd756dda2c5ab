"""Times the list routes over a big organisation, each beside its own SQL run bare, in one run.

    python bench/lists.py [--customers 1000000] [--requests 200] [--no-write]

Not a test and not run by CI. It (re)creates its own PostgreSQL database (default
`consent_bench_lists`), migrates it and builds the data set in SQL, set-based: one organisation,
20 preferences in 4 categories, N customers, an opt-in row for every customer and preference
(opted in or out at random, changed at a random moment of the last two years), and one customer
in 20 suppressed (mixed reasons, random moments of the last two years). Then, for each row,
request by request (parameters drawn at random):
1. the route in-process through the project's WSGI application, called as a server calls it
   (config.wsgi: the whole handler and middleware stack, `DEBUG=false`, Basic authentication
   with a warm credential cache; not Django's test client, whose responses sit in reference
   cycles that only the garbage collector frees), first touch of its parameters ("cold":
   PostgreSQL may have to fetch pages from the OS page cache or disk); wall and CPU time;
2. the same request again, untimed, capturing the exact SQL statements it runs;
3. the same request a third time ("warm": its pages were just read), timed as in 1;
4. those statements replayed bare through psycopg on one connection right after: the route's
   SQL floor in the same cache state as 3. API and SQL are compared warm against warm; the
   cold figures show what a first read costs on top;
5. the number of statements per request, asserted constant over every request of the row;
6. the garbage collector's pauses during the timed requests (gc.callbacks);
7. `EXPLAIN (ANALYZE, BUFFERS)` of the row's main statement (the slowest one bare).
It prints the plans, and writes p50/p99 of both sides and their ratio to bench/RESULTS.md
(unless --no-write). The database is dropped at the end unless --keep.
"""

import argparse
import base64
import gc
import io
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
USER, PASSWORD = "bench", "bench-password"
TARGET_P99_MS = 50

SEED = """
SET synchronous_commit = off;
WITH cats AS (
    INSERT INTO preferences_preference (organisation_id, is_preference, category_id, public_name,
        private_name, "order", is_public, created_at, last_modified)
    SELECT %(org)s, false, NULL, 'Category ' || c, 'category-' || c, c - 1, true, now(), now()
    FROM generate_series(1, 4) c
    RETURNING id, "order"
)
INSERT INTO preferences_preference (organisation_id, is_preference, category_id, public_name,
    private_name, "order", is_public, created_at, last_modified)
SELECT %(org)s, true, cats.id, 'Preference ' || (cats."order" * 5 + p),
       'preference-' || (cats."order" * 5 + p), p - 1, true, now(), now()
FROM cats, generate_series(1, 5) p;

INSERT INTO customers_customer (uuid, organisation_id, email, email_key, phone, correlation_id,
    first_name, last_name, locale, data_fields, email_type, opt_in_type, created_at, updated_at)
SELECT gen_random_uuid(), %(org)s, 'c' || n || '@example.com', 'c' || n || '@example.com', NULL,
       NULL, 'First', 'Last', 'en', '{}'::jsonb, 'Html', 'Unknown', now(), now()
FROM generate_series(1, %(customers)s) n;

INSERT INTO preferences_preferenceoptin (customer_id, preference_id, opted_in, modified_at)
SELECT c.id, p.id, random() < 0.5, now() - random() * interval '730 days'
FROM customers_customer c
CROSS JOIN preferences_preference p
WHERE c.organisation_id = %(org)s AND p.organisation_id = %(org)s AND p.is_preference
ORDER BY c.id, p.id;
"""

SUPPRESSIONS = """
INSERT INTO subscriptions_suppression (organisation_id, address_key, email, reason,
    date_removed, created_at)
SELECT %s, k, e, (ARRAY['Unsubscribed', 'Suppressed', 'HardBounced', 'IspComplained'])[1 + n %% 4],
       now() - random() * interval '730 days', now()
FROM unnest(%s::varchar[], %s::varchar[]) WITH ORDINALITY AS t(k, e, n)
"""


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1",
         "-qc", sql],
        check=True, capture_output=True,
    )  # fmt: skip


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def build(options) -> None:
    from django.core.management import call_command
    from django.db import connection

    from customers import services
    from customers.normalisation import address_key

    call_command("migrate", verbosity=0)
    org = services.organisation_get_or_create(slug="bench")
    services.api_user_create_or_update(organisation=org, username=USER, password=PASSWORD)
    print(f"Building {options.customers:,} customers x 20 preferences in SQL …", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SEED % {"org": int(org.pk), "customers": int(options.customers)})
        # One customer in 20 suppressed (keyed hashes computed here, as the service does).
        emails = [f"c{n}@example.com" for n in range(1, options.customers + 1, 20)]
        cursor.execute(SUPPRESSIONS, [org.pk, [address_key(e) for e in emails], emails])
    connection.close()
    psql("VACUUM ANALYZE", options.database)
    print(f"  {time.perf_counter() - started:.0f} s", flush=True)


def cases(options, rng: random.Random) -> list[tuple[str, list[str]]]:
    """(label, request paths) of every row, the parameters drawn at random."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM customers_customer")
        first, last = cursor.fetchone()
        cursor.execute("SELECT id FROM preferences_preference WHERE is_preference ORDER BY id")
        preferences = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT uuid FROM customers_customer WHERE id = ANY(%s)",
            [[rng.randint(first, last) for _ in range(options.requests)]],
        )
        uuids = [row[0] for row in cursor.fetchall()]
    n = options.requests
    today = datetime.now(UTC).date()

    def pref():
        return rng.choice(preferences)

    def min_id():
        return rng.randint(first, last)

    recent = (today - timedelta(days=7)).isoformat()  # about 1 % of the rows changed since
    return [
        (
            "with-preference, random minContactID",
            [f"/v2/contacts/with-preference/{pref()}?minContactID={min_id()}" for _ in range(n)],
        ),
        (
            "opt-ins-since 2000-01-01 (every row newer), random minContactID",
            [
                f"/v2/contacts/with-preference/{pref()}/opt-ins-since/2000-01-01"
                f"?minContactID={min_id()}"
                for _ in range(n)
            ],
        ),
        (
            "opt-ins-since 7 days ago (about 1 % newer), random minContactID",
            [
                f"/v2/contacts/with-preference/{pref()}/opt-ins-since/{recent}"
                f"?minContactID={min_id()}"
                for _ in range(n)
            ],
        ),
        (
            "suppressed-since a random day of the older year, select 1000",
            [
                "/v2/contacts/suppressed-since/"
                f"{(today - timedelta(days=rng.randint(366, 729))).isoformat()}?select=1000"
                for _ in range(n)
            ],
        ),
        (
            "marketing-preferences (seed 000), random customer",
            [f"/customers/customers/{uuid}/marketing-preferences" for uuid in uuids],
        ),
    ]


class GcPauses:
    """Milliseconds the garbage collector ran since the last reset, and full collections."""

    def __init__(self):
        self.total = 0.0
        self.full = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase, info):
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.total += (time.perf_counter() - self._started) * 1000
            self.full += info["generation"] == 2

    def reset(self):
        self.total, self.full = 0.0, 0


class Wsgi:
    """GET requests straight through the WSGI application, as a server sends them."""

    def __init__(self, application, authorization: str):
        self.application = application
        self.authorization = authorization

    def get(self, path: str) -> tuple[str, bytes]:
        path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "testserver",
            "HTTP_AUTHORIZATION": self.authorization,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status = []
        result = self.application(environ, lambda given, *_: status.append(given))
        try:
            body = b"".join(result)
        finally:
            result.close()
        assert status[0].startswith("200"), (path, status[0], body[:300])
        return status[0], body


def timed(client, path, pauses: GcPauses) -> tuple[float, float, float]:
    """(wall ms, CPU ms, GC pause ms) of one request."""
    pauses.reset()
    cpu, wall = time.process_time(), time.perf_counter()
    client.get(path)
    wall, cpu = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
    return wall, cpu, pauses.total


def captured_sql(client, path: str) -> list[str]:
    """The statements a request runs, exactly as sent (psycopg's own interpolation)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        client.get(path)
    return [query["sql"] for query in context.captured_queries]


def replay(cursor, statements: list[str]) -> list[float]:
    """Milliseconds of each statement run bare."""
    times = []
    for sql in statements:
        started = time.perf_counter()
        cursor.execute(sql)
        if cursor.description is not None:
            cursor.fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(client, conn, paths: list[str], pauses: GcPauses) -> dict:
    """Per request: cold API, capture, warm API, warm SQL replay (see the module's docstring)."""
    cold, warm, captured, per_statement = [], [], [], []
    with conn.cursor() as cursor:
        for path in paths:
            cold.append(timed(client, path, pauses))
            statements = captured_sql(client, path)
            warm.append(timed(client, path, pauses))
            per_statement.append(replay(cursor, statements))
            captured.append(statements)
    counts = {len(statements) for statements in captured}
    assert len(counts) == 1, f"statements per request not constant: {sorted(counts)}"
    return {"cold": cold, "warm": warm, "captured": captured, "per_statement": per_statement}


def explain(conn, sql: str) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [row[0] for row in cursor.fetchall()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per row")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="consent_bench_lists")
    parser.add_argument("--reuse", action="store_true", help="keep the database's data set")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--seed", type=int, default=1, help="random parameters' seed")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    options = parser.parse_args()
    url = f"{options.server}/{options.database}"
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            "ALLOWED_HOSTS": "testserver",
            "API_RATE_LIMIT": "0",
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "3600",
        }
    )
    if not options.reuse:
        psql(f"DROP DATABASE IF EXISTS {options.database}")
        psql(f"CREATE DATABASE {options.database}")
    import django

    django.setup()
    import psycopg
    from django.db import connections
    from results import machine_line, verdict, write_section

    if not options.reuse:
        build(options)
    from config.wsgi import application

    rng = random.Random(options.seed)
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    client = Wsgi(application, f"Basic {auth}")
    pauses = GcPauses()
    rows, plans = [], []
    with psycopg.connect(url, autocommit=True) as conn:
        all_cases = cases(options, rng)
        for _, paths in all_cases:  # warm: code, credential cache
            client.get(paths[0])
        for label, paths in all_cases:
            print(f"{label} …", flush=True)
            measured = measure(client, conn, paths, pauses)
            captured, per_statement = measured["captured"], measured["per_statement"]
            totals = [sum(times) for times in per_statement]
            main_index = max(
                range(len(captured[0])),
                key=lambda i: statistics.median(times[i] for times in per_statement),
            )
            main_times = [times[main_index] for times in per_statement]
            plan = explain(conn, captured[0][main_index])
            plans.append((label, captured[0][main_index], plan))
            cold, warm = measured["cold"], measured["warm"]
            gc_pauses = [t[2] for t in cold + warm]
            row = {
                "label": label,
                "statements": len(captured[0]),
                "cold_p50": percentile([t[0] for t in cold], 0.50),
                "cold_p99": percentile([t[0] for t in cold], 0.99),
                "api_p50": percentile([t[0] for t in warm], 0.50),
                "api_p99": percentile([t[0] for t in warm], 0.99),
                "cpu_p50": percentile([t[1] for t in warm], 0.50),
                "gc_p99": percentile(gc_pauses, 0.99),
                "gc_max": max(gc_pauses),
                "sql_p50": percentile(totals, 0.50),
                "sql_p99": percentile(totals, 0.99),
                "main_p50": percentile(main_times, 0.50),
                "main_p99": percentile(main_times, 0.99),
                "plan": plan[0].split("  (")[0].strip(),
                "load": os.getloadavg()[0],
            }
            rows.append(row)
            print(
                "  API cold p50 {cold_p50:.1f} ms p99 {cold_p99:.1f} ms; warm p50 {api_p50:.1f} ms "
                "p99 {api_p99:.1f} ms (CPU p50 {cpu_p50:.1f} ms; GC pause p99 {gc_p99:.1f} ms, "
                "max {gc_max:.1f} ms); SQL warm p50 {sql_p50:.1f} ms p99 {sql_p99:.1f} ms "
                "({statements} statements; main p50 {main_p50:.1f} ms p99 {main_p99:.1f} ms); "
                "load {load:.1f}".format(**row),
                flush=True,
            )
    connections.close_all()
    if not options.keep:
        psql(f"DROP DATABASE {options.database}")

    for label, sql, plan in plans:
        shown = sql if len(sql) <= 600 else sql[:600] + " …"
        print(f"\n-- {label}\n{shown}\n" + "\n".join(line[:300] for line in plan))
    lines = [
        f"## List routes over {options.customers:,} customers x 20 preferences",
        "",
        machine_line("lists.py"),
        "",
        f"Data: {options.customers:,} customers, an opt-in row for each of 20 preferences "
        "(random state and moment over two years), 1 customer in 20 suppressed; built in SQL. "
        "API: Django's test client in-process (`DEBUG=false`, Basic authentication), "
        f"{options.requests} requests per row with random parameters, each request run cold "
        "(first touch of its parameters), then warm (right after), wall time, the process's CPU "
        "time and the garbage collector's pauses beside it. SQL: the statements each request "
        "ran, replayed bare through psycopg on one connection right after its warm request, so "
        "both sides are warm. Load average shown per row.",
        "",
        "| route | statements | API cold p50 | API cold p99 | API warm p50 | API warm p99 | "
        "API CPU p50 | GC pause p99 (max) | SQL warm p50 | SQL warm p99 | API ÷ SQL (warm p50) | "
        "main statement p50 | main plan | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for row in rows:
        lines.append(
            "| {label} | {statements} | {cold_p50:.1f} ms | {cold_p99:.1f} ms | {api_p50:.1f} ms | "
            "{api_p99:.1f} ms | {cpu_p50:.1f} ms | {gc_p99:.1f} ms ({gc_max:.1f}) | "
            "{sql_p50:.1f} ms | {sql_p99:.1f} ms | {ratio:.1f}x | {main_p50:.1f} ms | "
            "`{plan}` | {load:.1f} |".format(**row, ratio=row["api_p50"] / row["sql_p50"])
        )
    lines.append("")
    for row in rows:
        for state in ("cold", "warm"):
            ok = row["cold_p99" if state == "cold" else "api_p99"] <= TARGET_P99_MS
            lines.append(f"- {row['label']}, {state}: p99 ≤ {TARGET_P99_MS} ms {verdict(ok)}.")
    text = "\n".join(lines)
    print("\n" + text)
    if not options.no_write:
        write_section("lists", text)


if __name__ == "__main__":
    main()
