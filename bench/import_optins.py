"""Benchmark: manage.py import_optins against its same-schema SQL floor and psql \\copy.

Not a test and not run by CI. Needs a PostgreSQL server and `psql`:

    /path/to/python bench/import_optins.py [--rows 2000000] [--customers 100000]
        [--server postgres://postgres@127.0.0.1:5432] [--database consent_bench_optins] [--no-write]

It (re)creates the database (`--database`), migrates it, builds an organisation of `--customers`
customers and 20 preferences in SQL, generates bench/data/optins_<rows>_<customers>.csv
(git-ignored, reused when present) naming the customers by contact id, email and UUID, then in
the same run times
0. the same-schema SQL floor, in a database of its own (`<database>_floor`, built the same way):
   one statement that resolves each staged row's customer and preference, upserts it into the
   real, indexed opt-in table and appends one ledger event per written row (the columns the
   ledger's writer fills, customers.ledger);
1. `psql \\copy` of the file into a bare table (no indexes, no constraints): the reference;
2. `import_optins` of the file (every opted-in row created, opted-out ones already the state);
3. `import_optins` of the same file again (every row unchanged: the idempotent re-run);
with peak RSS and CPU seconds of each import process and of its PostgreSQL backend (from /proc),
and writes the figures to bench/RESULTS.md (only prints them with --no-write, for runs on a
shared machine).
"""

import argparse
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from results import cpu_seconds, machine_line, psql, timed, verdict, write_section

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
TARGET_FLOOR_RATIO, TARGET_RSS_MB = 1.2, 300
PREFERENCES = 20  # 4 categories of 5
OPTED_IN_SHARE = 0.8

# The organisation: 4 categories of 5 preferences, customers 1..N with UUIDs derived from their
# number (so the file can name them without reading them back). In a new database the ids are
# 1..N and the preferences 5..24; setup() checks that.
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
FROM org, cats, generate_series(1, 5) p
ORDER BY cats."order", p;

INSERT INTO customers_customer (uuid, organisation_id, email, email_key, phone, correlation_id,
    first_name, last_name, locale, data_fields, email_type, opt_in_type, created_at, updated_at)
SELECT md5('optins-' || i)::uuid, org.id, 'customer' || i || '@example' || (i % 97) || '.com',
       'customer' || i || '@example' || (i % 97) || '.com', NULL, NULL, 'First', 'Last', 'en',
       '{}'::jsonb, 'Html', 'Unknown', now(), now()
FROM (SELECT id FROM customers_organisation WHERE slug = 'bench') org,
     generate_series(1, %(customers)s) i
ORDER BY i;
"""

# The same-schema SQL floor: the staged file's customers and preferences resolved by index
# lookups, the opted-in rows upserted into the real, indexed opt-in table (an opt-out of a
# customer without a row is the state already: nothing to write, as in the import), and one
# ledger event per written row with the values and provenance the ledger's writer stores. None
# of the import's checks, locks or batches, so no import can be faster.
FLOOR = """
SET synchronous_commit = off;
SET jit = off;
WITH org AS (SELECT id FROM customers_organisation WHERE slug = 'bench'),
resolved AS (
    SELECT c.id AS customer_id, p.id AS preference_id,
           lower(s.opted_in) IN ('true', '1', 'yes') AS opted_in,
           CASE WHEN s.modified IS NULL THEN now()
                WHEN s.modified ~ '^[0-9]+$' THEN to_timestamp(s.modified::bigint)
                ELSE s.modified::timestamptz END AS modified_at
    FROM bench_bare s
    CROSS JOIN org
    CROSS JOIN LATERAL (
        SELECT id FROM customers_customer
        WHERE organisation_id = org.id AND erased_at IS NULL AND (
            id = CASE WHEN s.customer ~ '^[0-9]{1,18}$' THEN s.customer::bigint END
            OR email_key = CASE WHEN s.customer LIKE '%@%' THEN lower(s.customer) END
            OR uuid = CASE WHEN s.customer ~ '^[0-9a-f-]{36}$' THEN s.customer::uuid END)
        LIMIT 1
    ) c
    JOIN preferences_preference p
      ON p.id = s.preference_id::bigint AND p.organisation_id = org.id AND p.is_preference
),
up AS (
    INSERT INTO preferences_preferenceoptin (customer_id, preference_id, opted_in, modified_at)
    SELECT customer_id, preference_id, opted_in, modified_at FROM resolved WHERE opted_in
    ON CONFLICT (customer_id, preference_id) DO UPDATE
    SET opted_in = EXCLUDED.opted_in, modified_at = EXCLUDED.modified_at
    RETURNING customer_id, preference_id
)
INSERT INTO customers_consentevent (organisation_id, customer_id, subject_key, kind, target,
    old_value, new_value, source, source_detail, actor, ip_address, user_agent, request_id,
    consent, occurred_at)
SELECT org.id, up.customer_id, '', 'preference.opt_in', up.preference_id::text, 'false'::jsonb,
       'true'::jsonb, 'import', 'import_optins: {file}', '{actor}', NULL, '', '', NULL, now()
FROM up, org;
"""
COLUMNS = "customer, preference_id, opted_in, modified"


def generate(path: Path, rows: int, customers: int) -> None:
    """Every (customer, preference) pair at most once, customers in random order with their
    preferences together (an export of another system); 8 in 10 opted in. Customers named by
    contact id (8 in 10), email (1 in 10, every other one upper case) or UUID (1 in 10);
    modified as ISO 8601 (3 in 4) or unix seconds."""
    if rows > customers * PREFERENCES:
        raise SystemExit(f"--rows is at most customers x {PREFERENCES}.")
    rng = random.Random(15)
    order = list(range(1, customers + 1))
    rng.shuffle(order)
    base = 1_700_000_000
    tmp = path.with_suffix(".tmp")
    written = 0
    with tmp.open("w", encoding="utf-8") as f:
        f.write("customer,preference_id,opted_in,modified\n")
        for i in order:
            kind = rng.random()
            if kind < 0.8:
                name = str(i)
            elif kind < 0.9:
                email = f"customer{i}@example{i % 97}.com"
                name = email.upper() if i % 2 else email
            else:
                name = str(uuid.UUID(bytes=bytes.fromhex(_md5(f"optins-{i}"))))
            lines = []
            for p in range(5, 5 + PREFERENCES):
                when = base + rng.randrange(30_000_000)
                modified = (
                    str(when)
                    if rng.random() < 0.25
                    else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
                )
                opted = "true" if rng.random() < OPTED_IN_SHARE else "false"
                lines.append(f"{name},{p},{opted},{modified}\n")
            take = min(PREFERENCES, rows - written)
            f.writelines(lines[:take])
            written += take
            if written >= rows:
                break
    tmp.rename(path)


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode()).hexdigest()


class BackendCpu:
    """CPU seconds of the PostgreSQL backends connected to `database` while a command runs,
    read from /proc every 0.5 s (a backend's last reading before it exits counts)."""

    def __init__(self, url: str):
        self.url = url
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _pids(self) -> list[int]:
        out = psql(
            self.url, "-c", "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()", capture=True,
        )  # fmt: skip
        return [int(pid) for pid in out.split()]

    def _poll(self):
        while not self._stop.is_set():
            reading = cpu_seconds(self._pids())
            for pid, used in reading.items():
                self.first.setdefault(pid, used)
                self.last[pid] = used
            self._stop.wait(0.5)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        # A backend seen first mid-run started with this run: its CPU from 0 (close enough).
        return sum(self.last.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--database", default="consent_bench_optins", help="recreated by each run")
    parser.add_argument("--skip-floor", action="store_true", help="time the imports only")
    parser.add_argument(
        "--no-write", action="store_true", help="print the figures, leave bench/RESULTS.md alone"
    )
    options = parser.parse_args()
    database = options.database
    url = f"{options.server}/{database}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    manage = [sys.executable, "manage.py"]

    DATA.mkdir(parents=True, exist_ok=True)
    csv_path = DATA / f"optins_{options.rows}_{options.customers}.csv"
    if not csv_path.exists():
        print(f"Generating {csv_path} …", flush=True)
        generate(csv_path, options.rows, options.customers)
    size_mb = csv_path.stat().st_size / 1e6

    def recreate(name):
        print(f"Recreating database {name}, {options.customers:,} customers …", flush=True)
        server = f"{options.server}/postgres"
        psql(server, "-c", f"DROP DATABASE IF EXISTS {name}")
        psql(server, "-c", f"CREATE DATABASE {name}")
        db_url = f"{options.server}/{name}"
        db_env = {**env, "DATABASE_URL": db_url}
        subprocess.run([*manage, "migrate", "-v", "0"], env=db_env, cwd=ROOT, check=True)
        subprocess.run(
            [*manage, "create_api_user", "--organisation", "bench", "--username", "bench",
             "--password", "bench-password-1"],
            env=db_env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        psql(db_url, "-c", SEED.replace("%(customers)s", str(options.customers)))
        psql(db_url, "-c", "VACUUM ANALYZE")
        found = psql(
            db_url, "-c",
            "SELECT (SELECT min(id) || ',' || max(id) FROM customers_customer) || ',' || "
            "(SELECT min(id) || ',' || max(id) FROM preferences_preference WHERE is_preference)",
            capture=True,
        )  # fmt: skip
        wanted = f"1,{options.customers},5,{4 + PREFERENCES}"
        if found != wanted:
            raise SystemExit(f"{name}: ids {found}, the file expects {wanted}: not a new database?")

    bare = ", ".join(f"{name} text" for name in COLUMNS.split(", "))
    actor = os.environ.get("USER", "") or "manage.py"
    floor_seconds = floor_cpu = None
    if not options.skip_floor:
        floor_name = f"{database}_floor"
        floor_url = f"{options.server}/{floor_name}"
        recreate(floor_name)
        psql(floor_url, "-c", f"CREATE TABLE bench_bare ({bare})")
        psql(floor_url, "-c", f"\\copy bench_bare FROM '{csv_path}' WITH (FORMAT csv, HEADER)")
        psql(floor_url, "-c", "VACUUM ANALYZE bench_bare")
        print("Timing the SQL floor …", flush=True)
        sql = FLOOR.replace("{file}", csv_path.name).replace("{actor}", actor.replace("'", "''"))
        with BackendCpu(floor_url) as floor_backend:
            floor_seconds, _, _, _ = timed(["psql", floor_url, "-q", "-c", sql], env)
        floor_cpu = floor_backend.seconds
        floor_events = psql(
            floor_url, "-c", "SELECT count(*) FROM customers_consentevent", capture=True
        )
        print(
            f"  {floor_seconds:.1f} s, {floor_events} ledger events, CPU "
            f"{floor_cpu * 1e6 / options.rows:.0f} µs/row in PostgreSQL",
            flush=True,
        )
        psql(f"{options.server}/postgres", "-c", f"DROP DATABASE IF EXISTS {floor_name}")

    recreate(database)

    print("Timing psql \\copy into a bare table …", flush=True)
    psql(url, "-c", f"CREATE TABLE bench_bare ({bare})")
    copy_seconds, _, _, _ = timed(
        ["psql", url, "-q", "-c", f"\\copy bench_bare FROM '{csv_path}' WITH (FORMAT csv, HEADER)"],
        env,
    )
    psql(url, "-c", "DROP TABLE bench_bare")  # keep the database's cache for the real tables

    command = [*manage, "import_optins", str(csv_path), "--organisation", "bench",
               "--no-progress", "--report", str(DATA / "optins_rejects.csv")]  # fmt: skip
    if options.batch_size:
        command += ["--batch-size", str(options.batch_size)]
    runs = []
    for label in ("first import (opted-in rows created)", "re-run (all unchanged)"):
        print(f"Timing import_optins: {label} …", flush=True)
        with BackendCpu(url) as backend:
            seconds, rss, cpu, output = timed(command, env)
        runs.append((label, seconds, rss, cpu, backend.seconds, output))
        print(
            f"  {seconds:.1f} s, {options.rows / seconds:,.0f} rows/s, {rss:.0f} MB, CPU "
            f"{cpu * 1e6 / options.rows:.0f} µs/row in Python, "
            f"{backend.seconds * 1e6 / options.rows:.0f} µs/row in PostgreSQL: {output}",
            flush=True,
        )
    events = psql(url, "-c", "SELECT count(*) FROM customers_consentevent", capture=True)

    first_seconds = runs[0][1]
    peak = max(r[2] for r in runs)
    lines = [
        "## import_optins, 1 file, same run",
        "",
        machine_line("import_optins.py"),
        "",
        f"File: {options.rows:,} opt-ins, {size_mb:.0f} MB CSV, over {options.customers:,} "
        f"customers x {PREFERENCES} preferences (each pair once, a customer's rows together, "
        f"customers in random order; 8 in 10 opted in; customers named by contact id 8 in 10, "
        f"email 1 in 10, UUID 1 in 10). {events} ledger events written by the first import.",
        "",
        "| what | seconds | rows/s | x floor | peak RSS | CPU µs/row, import / PostgreSQL |",
        "|---|---:|---:|---:|---:|---:|",
        f"| `psql \\copy` into a bare table (reference) | {copy_seconds:.1f} | "
        f"{options.rows / copy_seconds:,.0f} | "
        + (f"{copy_seconds / floor_seconds:.2f}" if floor_seconds else "n/a")
        + " | n/a | n/a |",
    ]
    if floor_seconds:
        lines.append(
            "| SQL floor: one statement resolving customers and preferences, upserting into the "
            f"real opt-in table plus one ledger row each | {floor_seconds:.1f} | "
            f"{options.rows / floor_seconds:,.0f} | 1.00 | n/a | "
            f"- / {floor_cpu * 1e6 / options.rows:.0f} |"
        )
    for label, seconds, rss, cpu, db_cpu, _ in runs:
        ratio = f"{seconds / floor_seconds:.2f}" if floor_seconds else "n/a"
        lines.append(
            f"| `import_optins`, {label} | {seconds:.1f} | {options.rows / seconds:,.0f} | "
            f"{ratio} | {rss:.0f} MB | {cpu * 1e6 / options.rows:.0f} / "
            f"{db_cpu * 1e6 / options.rows:.0f} |"
        )
    lines.append("")
    if floor_seconds:
        ratio = first_seconds / floor_seconds
        lines.append(
            f"- Ratio to the same-schema SQL floor (first import): **{ratio:.2f}x** (target ≤ "
            f"{TARGET_FLOOR_RATIO}x: {verdict(ratio <= TARGET_FLOOR_RATIO)})."
        )
    lines += [
        f"- Ratio to `\\copy` (first import): {first_seconds / copy_seconds:.1f}x (no target).",
        f"- Peak RSS: **{peak:.0f} MB** (target ≤ {TARGET_RSS_MB} MB: "
        f"{verdict(peak <= TARGET_RSS_MB)}).",
        f"- Summaries: first `{runs[0][5]}`; re-run `{runs[1][5]}`.",
        "",
        "The import parses and validates every row in Python (customer by contact id, UUID or "
        "email, the email's syntax; booleans; times), locks the preferences and customers it "
        "writes, reads their stored states and writes only changes not older than what is "
        "stored, one transaction per batch. The floor does only the writes.",
        "",
    ]
    if not options.no_write:
        write_section("import_optins", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
