"""Times POST /consent/v1/decisions with 10,000 recipients through gunicorn, beside bare SQL.

    python bench/decisions.py [--calls 25] [--customers 100000] [--port N] [--no-write]

Target (DESIGN §10): ≤ 300 ms per 10,000 recipients and ≤ 2x the same SQL run bare.

Creates (and drops) its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/consent_bench_decisions), fills it set-based with SQL
(100,000 customers, opt-ins, suppressions, programme subscriptions, opt-out statuses in three
departments), starts gunicorn on loopback with DEBUG=false, and times calls with a kept-alive
connection. The reference is the exact SQL the decision runs (captured from the selector for the
same question), executed bare through psycopg in the same run, as many times.
"""

import argparse
import base64
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file's name is the decisions app's: the app must win the import, so the bench directory
# (where `results` lives) goes last, not first where Python put it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))

from results import children_of, cpu_seconds, cpu_used  # noqa: E402  (after the path fix)

URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/consent_bench_decisions"
)
DB_NAME = URL.rsplit("/", 1)[-1]
SERVER_ENV = {
    "DATABASE_URL": URL,
    "DEBUG": "false",
    "SECRET_KEY": "bench-secret-key-" + "x" * 40,
    "ALLOWED_HOSTS": "127.0.0.1",
    "API_RATE_LIMIT": "0",
    "LOG_LEVEL": "WARNING",
    # Keep each worker's database connection for the whole run (its CPU is measured by pid).
    "CONN_MAX_AGE": "3600",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}
os.environ.update(SERVER_ENV)
USER, PASSWORD = "bench", "bench-password"


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qc", sql],
        check=True,
        capture_output=True,
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def fresh_database(customers: int):
    """A migrated database with one organisation of `customers` customers; returns its parts."""
    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from customers import services
    from customers.normalisation import address_key

    call_command("migrate", verbosity=0)
    org = services.organisation_get_or_create(slug="bench")
    services.api_user_create_or_update(organisation=org, username=USER, password=PASSWORD)
    with connection.cursor() as cursor:
        # Customers: every one with an email, half with a phone, a third with a correlation id.
        cursor.execute(
            "INSERT INTO customers_customer (uuid, organisation_id, email, email_key, phone,"
            " correlation_id, first_name, last_name, locale, data_fields, email_type,"
            " opt_in_type, created_at, updated_at)"
            " SELECT gen_random_uuid(), %s, 'c' || n || '@example.com', 'c' || n || '@example.com',"
            " CASE WHEN n %% 2 = 0 THEN '+1415' || lpad((2000000 + n)::text, 7, '0') END,"
            " CASE WHEN n %% 3 = 0 THEN 'crm-' || n END, '', '', 'en', '{}', 'Html', 'Unknown',"
            " now(), now() FROM generate_series(1, %s) AS n",
            [org.pk, customers],
        )
        cursor.execute(
            "INSERT INTO preferences_preference (organisation_id, is_preference, public_name,"
            ' private_name, "order", is_public, created_at, last_modified)'
            " VALUES (%s, true, 'Newsletter', 'Newsletter', 0, true, now(), now()) RETURNING id",
            [org.pk],
        )
        preference_id = cursor.fetchone()[0]
        # Opt-ins: 2 customers in 3 opted in, 1 in 6 opted out explicitly.
        cursor.execute(
            "INSERT INTO preferences_preferenceoptin (customer_id, preference_id, opted_in,"
            " modified_at) SELECT id, %s, id %% 3 <> 0, now() FROM customers_customer"
            " WHERE organisation_id = %s AND id %% 6 <> 5",
            [preference_id, org.pk],
        )
        # Programme subscriptions: 1 in 10 OPT_OUT, 1 in 10 OPT_IN.
        cursor.execute(
            "INSERT INTO subscriptions_channelsubscription (customer_id, channel, programme,"
            " status, updated_at) SELECT id, 'email', 'LOYALTY',"
            " CASE WHEN id %% 20 < 10 THEN 'OPT_OUT' ELSE 'OPT_IN' END, now()"
            " FROM customers_customer WHERE organisation_id = %s AND id %% 5 = 0",
            [org.pk],
        )
        # Suppressions: 1 address in 20 (keyed hashes computed here, as the service does),
        # starting at c2 so that the question (every 7th customer from c1, its every 20th
        # recipient an unknown address) names some of them: 500 of 10,000 recipients.
        emails = [f"c{n}@example.com" for n in range(2, customers + 1, 20)]
        cursor.execute(
            "INSERT INTO subscriptions_suppression (organisation_id, address_key, email, reason,"
            " date_removed, created_at) SELECT %s, k, e, 'Unsubscribed', now(), now()"
            " FROM unnest(%s::varchar[], %s::varchar[]) AS t(k, e)",
            [org.pk, [address_key(e) for e in emails], emails],
        )
        # Three departments; email opt-out statuses for 1 address in 50 (half false) among them,
        # from c2 too: from c1 the question would name them only as unknown addresses.
        departments = []
        for name in ("Shop", "Club", "Service"):
            cursor.execute(
                "INSERT INTO optout_department (uuid, organisation_id, name, phone_region,"
                " created_at) VALUES (gen_random_uuid(), %s, %s, '', now()) RETURNING id",
                [org.pk, name],
            )
            departments.append(cursor.fetchone()[0])
        cursor.execute(
            "INSERT INTO optout_communicationstatus (department_id, communication_type,"
            " communication_value, ok_to_communicate, last_event, update_type, created_at,"
            " updated_at) SELECT (%s::bigint[])[1 + n %% 3], 'EMAIL', 'c' || n || '@example.com',"
            " n %% 100 <> 2, 'STOP_MESSAGE_RECEIVED', 'MESSAGE', now(), now()"
            " FROM generate_series(2, %s, 50) AS n",
            [departments, customers],
        )
        cursor.execute("VACUUM ANALYZE")
    return org, preference_id


def question(org, preference_id: int, customers: int, size: int = 10_000) -> dict:
    """10,000 recipients in every form, spread over the organisation, 5 % unknown."""
    from customers.models import Customer

    step = 7  # co-prime with the fill patterns (every 2nd, 3rd, 5th, 20th, 50th customer)
    rows = list(
        Customer.objects.for_organisation(org)
        .order_by("id")
        .values_list("id", "uuid", "email", "phone", "correlation_id")[: size * step : step]
    )
    recipients = []
    for n, (pk, customer_uuid, email, phone, correlation_id) in enumerate(rows[:size]):
        form = n % 20
        if form == 0:
            recipients.append({"email": f"unknown{n}@example.net"})
        elif form < 9:
            recipients.append({"email": email.upper() if n % 2 else email})
        elif form < 13:
            recipients.append({"customerId": str(customer_uuid)})
        elif form < 16:
            recipients.append({"contactId": pk})
        elif form < 18 and phone:
            recipients.append({"phone": phone})
        elif correlation_id:
            recipients.append({"correlationId": correlation_id})
        else:
            recipients.append({"contactId": pk})
    return {
        "channel": "email",
        "preference": preference_id,
        "programme": "LOYALTY",
        "recipients": recipients,
    }


def captured_sql(org, body: dict) -> list[str]:
    """The SQL statements the decision runs for this question, as sent to PostgreSQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from decisions import selectors
    from preferences.models import Preference

    recipients = [selectors.recipient_from(r, region="US") for r in body["recipients"]]
    preference = Preference.objects.get(pk=body["preference"])
    with CaptureQueriesContext(connection) as captured:
        selectors.decisions_for(
            organisation=org,
            channel=body["channel"],
            recipients=recipients,
            preference=preference,
            programme=body["programme"],
        )
    return [query["sql"] for query in captured.captured_queries]


def bare_sql_times(statements: list[str], calls: int) -> tuple[list[float], float]:
    """Milliseconds per run of the statements, and PostgreSQL's CPU milliseconds per run."""
    import psycopg

    times = []
    with psycopg.connect(URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        for warm in range(calls + 3):
            if warm == 3:
                cpu_before = cpu_seconds([backend])
            started = time.perf_counter()
            with conn.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
                    cursor.fetchall()
            if warm >= 3:
                times.append((time.perf_counter() - started) * 1000)
        cpu = cpu_used(cpu_before, cpu_seconds([backend])) * 1000 / calls
    return times, cpu


def backend_pids() -> list[int]:
    """PostgreSQL server processes serving the web workers (not this process's connections)."""
    import psycopg
    from django.db import connection

    ours = set()
    if connection.connection is not None:
        ours.add(connection.connection.info.backend_pid)
    with psycopg.connect(URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        ).fetchall()
    return [pid for (pid,) in rows if pid not in ours]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn on loopback with the production posture (DEBUG=false)."""

    def __init__(self, workers: int = 2, port: int | None = None):
        self.port = port or free_port()
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
                "--keep-alive",
                "30",
            ],
            cwd=ROOT,
            env={**os.environ, **SERVER_ENV},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def measured_posts(self, path: str, bodies):
        """timed_posts, plus CPU milliseconds per call of the web workers and of PostgreSQL."""
        workers, backends = children_of(self.process.pid), backend_pids()
        web_before, db_before = cpu_seconds(workers), cpu_seconds(backends)
        times, answers = self.timed_posts(path, bodies)
        web = cpu_used(web_before, cpu_seconds(workers)) * 1000 / len(bodies)
        db = cpu_used(db_before, cpu_seconds(backends)) * 1000 / len(bodies)
        return times, answers, web, db

    def timed_posts(self, path: str, bodies, expect=200) -> tuple[list[float], list]:
        """POST each body on one kept-alive connection: (milliseconds each, parsed answers)."""
        auth = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        times, answers = [], []
        for body in bodies:
            payload = json.dumps(body).encode()
            started = time.perf_counter()
            conn.request(
                "POST",
                path,
                payload,
                {"Content-Type": "application/json", "Authorization": auth},
            )
            response = conn.getresponse()
            data = response.read()
            times.append((time.perf_counter() - started) * 1000)
            if response.status != expect:
                raise RuntimeError(f"{path}: {response.status} {data[:300]!r}")
            answers.append(json.loads(data))
        conn.close()
        return times, answers


def in_process_times(org, body: dict, calls: int) -> list[float]:
    """The selector alone in this process (parsing, hashing, queries, no HTTP or JSON)."""
    from decisions import selectors
    from preferences.models import Preference

    preference = Preference.objects.get(pk=body["preference"])
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        recipients = [selectors.recipient_from(r, region="US") for r in body["recipients"]]
        selectors.decisions_for(
            organisation=org,
            channel=body["channel"],
            recipients=recipients,
            preference=preference,
            programme=body["programme"],
        )
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=25)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--port", type=int, help="gunicorn's port (default: any free one)")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    args = parser.parse_args()
    from results import machine_line, write_section

    load_before = os.getloadavg()[0]
    org, preference_id = fresh_database(args.customers)
    body = question(org, preference_id, args.customers)
    statements = captured_sql(org, body)
    server = Server(port=args.port)
    try:
        server.timed_posts("/consent/v1/decisions", [body] * 3)  # warm both workers
        # CPU used by the web workers and their PostgreSQL backends: what the request costs,
        # whatever else the machine is doing (wall times wait for the CPU on a busy machine).
        http_times, answers, web_cpu, db_cpu = server.measured_posts(
            "/consent/v1/decisions", [body] * args.calls
        )
    finally:
        server.stop()
    bare_times, bare_cpu = bare_sql_times(statements, args.calls)
    selector_times = in_process_times(org, body, min(args.calls, 10))
    from django.db import connections

    connections.close_all()
    psql(f"DROP DATABASE {DB_NAME}")

    results = answers[-1]["results"]
    allowed = sum(result["allowed"] for result in results)
    by_code: dict[str, int] = {}
    for result in results:
        for reason in result["reasons"]:
            by_code[reason["code"]] = by_code.get(reason["code"], 0) + 1
    p50, p99 = statistics.median(http_times), percentile(http_times, 0.99)
    bare50, bare99 = statistics.median(bare_times), percentile(bare_times, 0.99)
    sel50 = statistics.median(selector_times)
    ratio = p50 / bare50
    lines = [
        "## decisions, 10,000 recipients per call (target ≤ 300 ms and ≤ 2x bare SQL)",
        "",
        machine_line("decisions.py") + f" Load average when the run started: {load_before:.1f}.",
        "",
        f"Database: {args.customers:,} customers of one organisation, a preference with 2 in 3 "
        "opted in, 1 address in 20 suppressed, 1 customer in 10 with a LOYALTY subscription "
        "(half OPT_OUT), email opt-out statuses for 1 address in 50 (half of them "
        "okToCommunicate false) across three departments. "
        "Question: channel email, the preference, programme LOYALTY, no department (every "
        "department counts); 10,000 recipients as email (any case), customerId, contactId, "
        "phone and correlationId, 5 % unknown addresses. "
        f"Answer: {allowed:,} allowed; reasons {json.dumps(by_code, sort_keys=True)}.",
        "",
        "| what | p50 | p99 | CPU per call | calls |",
        "|---|---:|---:|---:|---:|",
        f"| POST /consent/v1/decisions via gunicorn (2 workers, DEBUG=false, loopback) "
        f"| {p50:.0f} ms | {p99:.0f} ms | {web_cpu + db_cpu:.0f} ms ({web_cpu:.0f} web + "
        f"{db_cpu:.0f} PostgreSQL) | {len(http_times)} |",
        f"| the same {len(statements)} SQL statements bare through psycopg (reference) "
        f"| {bare50:.0f} ms | {bare99:.0f} ms | {bare_cpu:.0f} ms PostgreSQL | {len(bare_times)} |",
        f"| the selector alone in-process (parse, hash, queries; no HTTP/JSON) "
        f"| {sel50:.0f} ms | | | {len(selector_times)} |",
        "",
        f"- p50 per 10,000 recipients: **{p50:.0f} ms** (target ≤ 300 ms: "
        f"{'met' if p50 <= 300 else 'NOT met'}); p99 {p99:.0f} ms.",
        f"- Ratio to bare SQL (p50): **{ratio:.1f}x** (target ≤ 2x: "
        f"{'met' if ratio <= 2 else 'NOT met'}).",
        f"- In CPU time, which a busy machine does not inflate: {web_cpu + db_cpu:.0f} ms per "
        f"call, {(web_cpu + db_cpu) / bare_cpu if bare_cpu else float('nan'):.1f}x the bare "
        "SQL's PostgreSQL CPU.",
        f"- SQL statements per call: {len(statements)} whatever the number of recipients "
        "(customers, suppressions, opt-ins, programme subscriptions, opt-out statuses), plus "
        "the caller's membership and the preference.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("decisions", text)


if __name__ == "__main__":
    main()
