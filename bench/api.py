"""Benchmark: API requests through gunicorn beside pgbench running the same SQL, in one run.

Not a test and not run by CI. Needs a PostgreSQL server, `psql`, `pgbench` and `wrk`
(Debian: `apt-get install postgresql-client postgresql-contrib wrk`):

    /path/to/python bench/api.py [--customers 100000] [--duration 10] [--connections 32]
        [--database consent_bench_api] [--port 8765] [--reuse] [--no-write]

It (re)creates the database (default `consent_bench_api`), migrates it and builds the data set in
SQL, set-based: one organisation, 20 preferences in 4 categories, N customers, and an opt-in row
(opted in or out at random) for every customer and preference except the first preference, which
the PUT row writes. Rows: the opt-in PUT, the v2 contact preferences GET, and the decision
call (POST /consent/v1/decisions, 100 recipients per call). For each row:
1. the route through gunicorn (`DEBUG=false`), driven by wrk on loopback with random customers;
2. pgbench running the SQL the route runs, as custom script files, with the same connections;
and writes throughput and p50/p99 latency, the ratio, and the CPU per request of the gunicorn
workers and their PostgreSQL backends to bench/RESULTS.md (`--no-write`: only prints). Every
request is bounded: each load runs `--duration` seconds and stops by itself.
"""

import argparse
import base64
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import (
    children_of,
    cpu_seconds,
    cpu_used,
    machine_line,
    psql,
    verdict,
    write_section,
)

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "bench", "bench-password-1"
TARGET_SHARE, TARGET_P99_MS = 0.20, 100

SEED = """
SET synchronous_commit = off;
WITH org AS (SELECT id FROM customers_organisation WHERE slug = 'bench'),
cats AS (
    INSERT INTO preferences_preference (organisation_id, is_preference, category_id, public_name,
        private_name, "order", is_public, created_at, last_modified)
    SELECT org.id, false, NULL, 'Category ' || c, 'category-' || c, c - 1, true, now(), now()
    FROM org, generate_series(1, 4) c
    RETURNING id, "order"
)
INSERT INTO preferences_preference (organisation_id, is_preference, category_id, public_name,
    private_name, "order", is_public, created_at, last_modified)
SELECT org.id, true, cats.id, 'Preference ' || (cats."order" * 5 + p),
       'preference-' || (cats."order" * 5 + p), p - 1, true, now(), now()
FROM org, cats, generate_series(1, 5) p;

INSERT INTO customers_customer (uuid, organisation_id, email, email_key, phone, correlation_id,
    first_name, last_name, locale, data_fields, email_type, opt_in_type, created_at, updated_at)
SELECT gen_random_uuid(), org.id, 'customer' || i || '@example.com',
       'customer' || i || '@example.com', NULL, NULL, 'First', 'Last', 'en', '{}'::jsonb,
       'Html', 'Unknown', now(), now()
FROM (SELECT id FROM customers_organisation WHERE slug = 'bench') org,
     generate_series(1, %(customers)s) i;

INSERT INTO preferences_preferenceoptin (customer_id, preference_id, opted_in, modified_at)
SELECT c.id, p.id, random() < 0.5, now()
FROM customers_customer c
CROSS JOIN preferences_preference p
WHERE p.is_preference AND p.id <> (SELECT min(id) FROM preferences_preference WHERE is_preference);
"""

# The SQL the opt-in PUT runs (customers/selectors, preferences/services, customers/ledger):
# find the customer, the preference, lock the customer, read the state, upsert it, one ledger
# event, read the state back for the answer.
PGBENCH_PUT = """
\\set c {first_customer} + random(1, {customers}) - 1
BEGIN;
SELECT id, uuid, organisation_id FROM customers_customer
 WHERE organisation_id = {org} AND id = :c
   AND erased_at IS NULL;
SELECT id, is_preference FROM preferences_preference WHERE organisation_id = {org} AND id = {pref};
SELECT id FROM customers_customer
 WHERE id = :c FOR UPDATE;
SELECT opted_in FROM preferences_preferenceoptin
 WHERE customer_id = :c AND preference_id = {pref};
INSERT INTO preferences_preferenceoptin (customer_id, preference_id, opted_in, modified_at)
 VALUES (:c, {pref}, true, now())
 ON CONFLICT (customer_id, preference_id) DO UPDATE
 SET opted_in = EXCLUDED.opted_in, modified_at = EXCLUDED.modified_at;
INSERT INTO customers_consentevent (organisation_id, customer_id, subject_key, kind, target,
 old_value, new_value, source, source_detail, actor, ip_address, user_agent, request_id,
 occurred_at)
 VALUES ({org}, :c, '', 'preference.opt_in',
 '{pref}', 'false', 'true', 'api', 'PUT /customers/…', 'bench', '127.0.0.1', 'pgbench',
 'r', now());
COMMIT;
SELECT opted_in, modified_at FROM preferences_preferenceoptin
 WHERE customer_id = :c AND preference_id = {pref};
"""

# The one query that answers GET /v2/contacts/{id}/preferences: the organisation's tree with the
# contact's state on every preference.
PGBENCH_GET = """
\\set c {first_customer} + random(1, {customers}) - 1
SELECT p.id, p.category_id, p.is_preference, p.public_name, p."order", o.opted_in
FROM customers_customer c
JOIN preferences_preference p ON p.organisation_id = c.organisation_id AND p.is_public
LEFT JOIN preferences_preferenceoptin o ON o.customer_id = c.id AND o.preference_id = p.id
WHERE c.organisation_id = {org} AND c.id = :c AND c.erased_at IS NULL
ORDER BY p.category_id NULLS FIRST, p."order", p.id;
"""

WRK_SCRIPT = """
local paths = {{}}
local method = "{method}"
local auth = "Basic {auth}"
function init(args)
  for line in io.lines("{paths}") do paths[#paths + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
request = function()
  local path = paths[math.random(#paths)]
  return wrk.format(method, path, {{["Authorization"] = auth, ["Content-Length"] = "0"}})
end
"""

# POST with a JSON body: each line of the file is "path<TAB>body"; a random line per request.
WRK_POST_SCRIPT = """
local paths = {{}}
local bodies = {{}}
local auth = "Basic {auth}"
function init(args)
  for line in io.lines("{paths}") do
    local tab = string.find(line, "\t", 1, true)
    paths[#paths + 1] = string.sub(line, 1, tab - 1)
    bodies[#bodies + 1] = string.sub(line, tab + 1)
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
request = function()
  local i = math.random(#paths)
  return wrk.format("POST", paths[i], {{["Authorization"] = auth,
    ["Content-Type"] = "application/json"}}, bodies[i])
end
"""

# The decision call: recipients per call, and how many distinct bodies wrk picks from.
DECISION_RECIPIENTS, DECISION_BODIES = 100, 200


def setup(options, url, env) -> None:
    server = options.server
    print(f"Recreating database {options.database} …", flush=True)
    psql(f"{server}/postgres", "-c", f"DROP DATABASE IF EXISTS {options.database}")
    psql(f"{server}/postgres", "-c", f"CREATE DATABASE {options.database}")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run(
        [*manage, "create_api_user", "--organisation", "bench", "--username", USER,
         "--password", PASSWORD],
        env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    print(f"Building {options.customers:,} customers x 20 preferences in SQL …", flush=True)
    start = time.perf_counter()
    psql(url, "-c", SEED.replace("%(customers)s", str(options.customers)))
    psql(url, "-c", "VACUUM ANALYZE")
    print(f"  {time.perf_counter() - start:.0f} s", flush=True)


def facts(url) -> dict:
    def one(sql):
        return int(psql(url, "-c", sql, capture=True))

    org = one("SELECT id FROM customers_organisation WHERE slug = 'bench'")
    pref = one("SELECT min(id) FROM preferences_preference WHERE is_preference")
    first = one("SELECT min(id) FROM customers_customer")
    return {"org": org, "pref": pref, "first_customer": first}


def reset_put_target(url, f) -> None:
    """Forget every opt-in to the PUT's preference, so each PUT is a write."""
    psql(url, "-c", f"DELETE FROM preferences_preferenceoptin WHERE preference_id = {f['pref']}")
    psql(url, "-c", "VACUUM ANALYZE preferences_preferenceoptin")


def percentile(sorted_values, share):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, math.ceil(share * len(sorted_values)) - 1)]


def run_pgbench(url, script_text, options, workdir) -> dict:
    script = Path(workdir) / "script.sql"
    script.write_text(script_text)
    for old in Path(workdir).glob("pgbench_log*"):
        old.unlink()
    done = subprocess.run(
        ["pgbench", "-n", "-c", str(options.connections), "-j", "2", "-T",
         str(options.duration), "-f", str(script), "-l", "--log-prefix",
         str(Path(workdir) / "pgbench_log"), url],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    tps = float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))
    latencies = []
    for log in Path(workdir).glob("pgbench_log*"):
        for line in log.read_text().splitlines():
            latencies.append(int(line.split()[2]) / 1000)  # µs → ms
    latencies.sort()
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    return {
        "rate": tps,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "errors": int(failed.group(1)) if failed else 0,
    }


def _ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def run_wrk(method, paths_file, options, workdir) -> dict:
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    script = Path(workdir) / f"{method}.lua"
    template = WRK_POST_SCRIPT if method == "POST" else WRK_SCRIPT
    script.write_text(template.format(method=method, auth=auth, paths=paths_file))
    done = subprocess.run(
        ["wrk", "-t", "2", "-c", str(options.connections), "-d", f"{options.duration}s",
         "--timeout", "10s", "--latency", "-s", str(script), f"http://127.0.0.1:{options.port}"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    out = done.stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0),
        "socket": errors.group(1).strip() if errors else "",
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }


def backend_pids(url) -> list[int]:
    """The PostgreSQL backends connected to the bench database (the workers' connections)."""
    out = psql(
        url, "-c", "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()", capture=True,
    )  # fmt: skip
    return [int(pid) for pid in out.split()]


def run_wrk_measured(method, paths_file, options, workdir, master, url) -> dict:
    """run_wrk, plus the CPU milliseconds per request of the gunicorn workers and of their
    PostgreSQL backends: what a request costs, which a busy machine inflates far less than
    its wall time."""
    pids, backends = children_of(master), backend_pids(url)
    web, db = cpu_seconds(pids), cpu_seconds(backends)
    result = run_wrk(method, paths_file, options, workdir)
    done = max(1, result["requests"])
    result["web_cpu"] = cpu_used(web, cpu_seconds(pids)) * 1000 / done
    result["db_cpu"] = cpu_used(db, cpu_seconds(backends)) * 1000 / done
    return result


def decision_bodies(url, f, count: int, size: int) -> list[dict]:
    """Decision questions over random customers: per 100 recipients 60 email addresses (every
    other one upper case), 20 customerIds, 15 contactIds and 5 unknown addresses; channel email
    and the PUT row's preference."""
    import json
    import random

    rows = psql(
        url, "-c", "SELECT id, uuid, email FROM customers_customer ORDER BY id", capture=True
    ).split()
    customers = [row.split("|") for row in rows]
    rng = random.Random(0)
    bodies = []
    for _ in range(count):
        recipients = []
        for n, (pk, customer_uuid, email) in enumerate(rng.sample(customers, size)):
            form = n % 20
            if form == 0:
                recipients.append({"email": f"unknown{rng.randrange(10**9)}@example.net"})
            elif form < 13:
                recipients.append({"email": email.upper() if n % 2 else email})
            elif form < 17:
                recipients.append({"customerId": customer_uuid})
            else:
                recipients.append({"contactId": int(pk)})
        bodies.append({"channel": "email", "preference": f["pref"], "recipients": recipients})
    return [json.dumps(body, separators=(",", ":")) for body in bodies]


def decision_sql(env, body: str) -> str:
    """The statements the decision runs for `body`, captured in a Django process on the bench
    database (`decisions.selectors.decisions_for`), as a pgbench script."""
    code = (
        "import json, sys, django\n"
        "django.setup()\n"
        "from django.db import connection\n"
        "from django.test.utils import CaptureQueriesContext\n"
        "from customers.models import Organisation\n"
        "from decisions import selectors\n"
        "from preferences.models import Preference\n"
        "body = json.loads(sys.stdin.read())\n"
        "org = Organisation.objects.get(slug='bench')\n"
        "recipients = [selectors.recipient_from(r, region=org.phone_region)"
        " for r in body['recipients']]\n"
        "preference = Preference.objects.get(pk=body['preference'])\n"
        "with CaptureQueriesContext(connection) as captured:\n"
        "    selectors.decisions_for(organisation=org, channel=body['channel'],"
        " recipients=recipients, preference=preference, programme=None)\n"
        "print(json.dumps([q['sql'] for q in captured.captured_queries]))\n"
    )
    import json

    done = subprocess.run(
        [sys.executable, "-c", code], input=body, env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    statements = json.loads(done.stdout.strip().splitlines()[-1])
    return "".join(statement.rstrip(";") + ";\n" for statement in statements)


def start_gunicorn(options, env):
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
               "-b", f"127.0.0.1:{options.port}", "config.wsgi"]  # fmt: skip
    if options.workers:
        command += ["-w", str(options.workers)]
    if options.worker_class:
        command += ["-k", options.worker_class]
    app_root = options.app_root or ROOT
    proc = subprocess.Popen(
        command, env={**env, "PYTHONPATH": str(app_root)}, cwd=app_root, stdout=subprocess.DEVNULL
    )
    for _ in range(100):
        try:
            out = subprocess.run(
                ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                 f"http://127.0.0.1:{options.port}/healthz"],
                capture_output=True, text=True, timeout=5,
            ).stdout  # fmt: skip
            if out == "200":
                return proc
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per load")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn.conf.py")
    parser.add_argument("--worker-class", default=None, help="default: gunicorn.conf.py")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="consent_bench_api")
    parser.add_argument("--port", type=int, default=8765, help="gunicorn's port on loopback")
    parser.add_argument("--reuse", action="store_true", help="keep the database's data set")
    parser.add_argument("--app-root", default=None, help="serve another checkout (A/B runs)")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    options = parser.parse_args()
    url = f"{options.server}/{options.database}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The throttle stays on (its cost is part of every request) but never refuses.
        "API_RATE_LIMIT": "1000000000",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESSLOG": "",
        # Each worker keeps its database connection for the whole run, so the CPU of its
        # PostgreSQL backend is measured by pid (a reconnect would leave it out).
        "CONN_MAX_AGE": "3600",
    }
    if not options.reuse:
        setup(options, url, env)
    f = facts(url)
    workdir = tempfile.mkdtemp(prefix="bench-api-")
    uuids = psql(url, "-c", "SELECT uuid FROM customers_customer ORDER BY id", capture=True)
    ids = psql(url, "-c", "SELECT id FROM customers_customer ORDER BY id", capture=True)
    put_paths = Path(workdir) / "put_paths.txt"
    put_paths.write_text(
        "".join(
            f"/customers/customers/{u}/marketing-preferences/{f['pref']}\n" for u in uuids.split()
        )
    )
    get_paths = Path(workdir) / "get_paths.txt"
    get_paths.write_text("".join(f"/v2/contacts/{i}/preferences\n" for i in ids.split()))
    fmt = {"customers": options.customers, **f}
    bodies = decision_bodies(url, f, DECISION_BODIES, DECISION_RECIPIENTS)
    post_paths = Path(workdir) / "post_paths.txt"
    post_paths.write_text("".join(f"/consent/v1/decisions\t{body}\n" for body in bodies))
    # pgbench runs the statements of one of the questions (the same SQL every time, with its
    # values inline: pgbench variables cannot spell a list of recipients).
    pgbench_decision = decision_sql(env, bodies[0])

    rows = []
    gunicorn = start_gunicorn(options, env)
    try:
        # Warm every worker: its first request loads the code, connects, and hashes the Basic
        # password once (about a second of CPU) before the credential is remembered.
        warm = argparse.Namespace(**{**vars(options), "duration": 3})
        for _ in range(10):
            if run_wrk("GET", get_paths, warm, workdir)["p99"] < 1000:
                break
        for label, method, paths, script in (
            ("opt-in PUT (seed 000), random customers", "PUT", put_paths, PGBENCH_PUT),
            ("contact preferences GET (v2)", "GET", get_paths, PGBENCH_GET),
            (
                f"decision call POST ({DECISION_RECIPIENTS} recipients)",
                "POST",
                post_paths,
                pgbench_decision,
            ),
        ):
            if method == "PUT":
                reset_put_target(url, f)
            print(f"{label}: wrk …", flush=True)
            api = run_wrk_measured(method, paths, options, workdir, gunicorn.pid, url)
            if method == "PUT":
                reset_put_target(url, f)
            print(f"{label}: pgbench …", flush=True)
            if method != "POST":
                script = script.format(**fmt)
            sql = run_pgbench(url, script, options, workdir)
            rows.append((label, api, sql, os.getloadavg()[0]))
            print(f"  api {api}\n  sql {sql}", flush=True)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)

    lines = [
        f"## API requests beside pgbench, {options.connections} connections, same run",
        "",
        machine_line("api.py"),
        "",
        f"Data: {options.customers:,} customers x 20 preferences (4 categories of 5), built in "
        f"SQL. gunicorn per `gunicorn.conf.py` (`DEBUG=false`), wrk with {options.connections} "
        f"connections for {options.duration} s per row; pgbench with the same connections "
        "running the route's SQL (script files in `bench/api.py`). Load average shown per row.",
        "",
        "| work | API req/s | API p50 | API p99 | pgbench tps | pgbench p50 | pgbench p99 | "
        "share of pgbench | API CPU per request (web + PostgreSQL) | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, api, sql, load in rows:
        share = api["rate"] / sql["rate"]
        lines.append(
            f"| {label} | {api['rate']:,.0f} | {api['p50']:.1f} ms | {api['p99']:.1f} ms | "
            f"{sql['rate']:,.0f} | {sql['p50']:.1f} ms | {sql['p99']:.1f} ms | "
            f"**{share:.1%}** | {api['web_cpu'] + api['db_cpu']:.1f} ms ({api['web_cpu']:.1f} + "
            f"{api['db_cpu']:.1f}) | {load:.1f} |"
        )
    lines.append("")
    for label, api, sql, _ in rows:
        share = api["rate"] / sql["rate"]
        lines.append(
            f"- {label}: share ≥ {TARGET_SHARE:.0%} {verdict(share >= TARGET_SHARE)}; "
            f"p99 ≤ {TARGET_P99_MS} ms {verdict(api['p99'] <= TARGET_P99_MS)}; "
            f"non-2xx {api['errors']}{', socket errors ' + api['socket'] if api['socket'] else ''}"
            f"; pgbench failed {sql['errors']}."
        )
    lines += [
        f"- The decision call: {DECISION_RECIPIENTS} recipients per call (60 email addresses, "
        "every other one upper case, 20 customerIds, 15 contactIds, 5 unknown addresses; "
        f"channel email and one preference), wrk picking one of {DECISION_BODIES} such bodies "
        "at random; pgbench runs the statements the route runs for one of them (captured from "
        "`decisions.selectors.decisions_for`), values inline.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not options.no_write:
        write_section("api", text)


if __name__ == "__main__":
    main()
