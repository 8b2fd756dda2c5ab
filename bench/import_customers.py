"""Benchmark: manage.py import_customers against psql \\copy of the same file (DESIGN §10).

Not a test and not run by CI. Needs a PostgreSQL server and `psql`:

    /path/to/python bench/import_customers.py [--rows 1000000] [--server postgres://postgres@127.0.0.1:5432]

It (re)creates the database `consent_bench` (`--database`), migrates it, generates
bench/data/customers_<rows>.csv (git-ignored, reused when present), then in the same run times
0. the same-schema SQL floor, in a database of its own (`<database>_floor`, recreated for each
   key kind): one statement that inserts the staged file into the real, indexed customers table
   plus one ledger event each, with random and with time-ordered UUIDs;
1. `psql \\copy` of the file into a bare table (no indexes, no constraints): the reference;
2. `import_customers` of the file into an empty organisation (every row created);
3. `import_customers` of the same file again (every row unchanged: the idempotent re-run);
and writes the figures, with peak RSS of each import process, to bench/RESULTS.md (only prints
them with --no-write, for runs on a shared machine).
"""

import argparse
import os
import random
import subprocess
import sys
from pathlib import Path

from results import machine_line, psql, timed, verdict, write_section

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
TARGET_SECONDS, TARGET_RATIO, TARGET_RSS_MB = 30, 3.0, 300
TARGET_FLOOR_RATIO, TARGET_RERUN_SECONDS = 1.2, 10

# The same-schema SQL floor: the staged file into the real, indexed customers table plus one ledger
# event per customer, in one statement. It does the import's writes with none of its checks, so
# no import can be faster. {uuid} is the key expression: random (version 4) or time-ordered (7).
FLOOR = """
SET synchronous_commit = off;
SET jit = off;
WITH org AS (SELECT id FROM customers_organisation WHERE slug = 'bench'),
up AS (
    INSERT INTO customers_customer (uuid, organisation_id, email, email_key, phone,
        correlation_id, first_name, last_name, locale, data_fields, email_type, opt_in_type,
        created_at, updated_at, import_digest)
    SELECT {uuid}, org.id, s.email, lower(s.email), NULLIF(s.phone, ''),
           NULLIF(s.correlation_id, ''), s.first_name, s.last_name, s.locale,
           jsonb_build_object('segment', s.segment), 'Html', 'Unknown', now(), now(),
           hashtextextended(s.email, 0)  -- the import stores each record's 64-bit digest
    FROM bench_bare s, org
    RETURNING id, organisation_id
)
INSERT INTO customers_consentevent (organisation_id, customer_id, subject_key, kind, target,
    old_value, new_value, source, source_detail, actor, ip_address, user_agent, request_id,
    occurred_at)
SELECT organisation_id, id, '', 'customer.profile', 'created', NULL,
       '["data_fields", "email", "first_name", "last_name", "locale"]'::jsonb, 'import',
       'import_customers floor', '', NULL, '', '', now()
FROM up;
"""
UUID_V4 = "gen_random_uuid()"
# Unix milliseconds over the first 48 bits of a random UUID, version bits 0100 → 0111.
UUID_V7 = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
    "substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) "
    "from 1 for 6), 52, 1), 53, 1), 'hex')::uuid"
)
LOCALES = ["en", "en-US", "en-GB", "de-DE", "fr-FR", "es-419", "nl"]
FIRST = ["Ada", "Grace", "Emmy", "Alan", "Katherine", "Jürgen", "Zoë", "Matt"]
LAST = ["Lovelace", "Hopper", "Noether", "Turing", "Johnson", "Müller", "O'Brien"]


def generate(path: Path, rows: int) -> None:
    """A realistic mix: every row has an email; a quarter a phone, half a correlation id."""
    rng = random.Random(4)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write("email,phone,correlation_id,locale,first_name,last_name,segment\n")
        for i in range(rows):
            phone = f"+1202555{i % 10000:04d}" if i % 4 == 0 else ""
            correlation = f"crm-{i:08d}" if i % 2 == 0 else ""
            f.write(
                f"customer{i}@example{i % 97}.com,{phone},{correlation},{rng.choice(LOCALES)},"
                f"{rng.choice(FIRST)},{rng.choice(LAST)},s{i % 13}\n"
            )
    tmp.rename(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--database", default="consent_bench", help="recreated by each run")
    parser.add_argument(
        "--no-write", action="store_true", help="print the figures, leave bench/RESULTS.md alone"
    )
    options = parser.parse_args()
    DATABASE = options.database
    url = f"{options.server}/{DATABASE}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}

    DATA.mkdir(parents=True, exist_ok=True)
    csv_path = DATA / f"customers_{options.rows}.csv"
    if not csv_path.exists():
        print(f"Generating {csv_path} …", flush=True)
        generate(csv_path, options.rows)
    size_mb = csv_path.stat().st_size / 1e6

    manage = [sys.executable, "manage.py"]

    def recreate(database):
        print(f"Recreating database {database} …", flush=True)
        psql(f"{options.server}/postgres", "-c", f"DROP DATABASE IF EXISTS {database}")
        psql(f"{options.server}/postgres", "-c", f"CREATE DATABASE {database}")
        db_env = {**env, "DATABASE_URL": f"{options.server}/{database}"}
        subprocess.run([*manage, "migrate", "-v", "0"], env=db_env, cwd=ROOT, check=True)
        subprocess.run(
            [*manage, "create_api_user", "--organisation", "bench", "--username", "bench",
             "--password", "bench-password-1"],
            env=db_env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip

    columns = "email, phone, correlation_id, locale, first_name, last_name, segment"
    bare = ", ".join(f"{name} text" for name in columns.split(", "))
    floors = {}
    for label, key in (("random UUIDs (version 4)", UUID_V4), ("time-ordered UUIDs (7)", UUID_V7)):
        floor_url = f"{options.server}/{DATABASE}_floor"
        recreate(f"{DATABASE}_floor")
        psql(floor_url, "-c", f"CREATE TABLE bench_bare ({bare})")
        psql(floor_url, "-c", f"\\copy bench_bare FROM '{csv_path}' WITH (FORMAT csv, HEADER)")
        psql(floor_url, "-c", "VACUUM ANALYZE bench_bare")
        print(f"Timing the SQL floor, {label} …", flush=True)
        floors[label], _, _, _ = timed(["psql", floor_url, "-q", "-c", FLOOR.format(uuid=key)], env)
        print(f"  {floors[label]:.1f} s", flush=True)
    psql(f"{options.server}/postgres", "-c", f"DROP DATABASE IF EXISTS {DATABASE}_floor")

    recreate(DATABASE)

    print("Timing psql \\copy into a bare table …", flush=True)
    psql(url, "-c", f"CREATE TABLE IF NOT EXISTS bench_bare ({bare})")
    psql(url, "-c", "TRUNCATE bench_bare")
    copy_seconds, _, _, _ = timed(
        ["psql", url, "-q", "-c", f"\\copy bench_bare FROM '{csv_path}' WITH (FORMAT csv, HEADER)"],
        env,
    )
    psql(url, "-c", "DROP TABLE bench_bare")  # keep the database's cache for the real tables

    command = [*manage, "import_customers", str(csv_path), "--organisation", "bench",
               "--no-progress", "--report", str(DATA / "rejects.csv")]  # fmt: skip
    if options.batch_size:
        command += ["--batch-size", str(options.batch_size)]
    runs = []
    for label in ("first import (all created)", "re-run (all unchanged)"):
        print(f"Timing import_customers: {label} …", flush=True)
        seconds, rss, _, output = timed(command, env)
        runs.append((label, seconds, rss, output))
        print(f"  {seconds:.1f} s, {options.rows / seconds:,.0f} rows/s, {rss:.0f} MB: {output}")

    first_seconds = runs[0][1]
    ratio = first_seconds / copy_seconds
    floor_seconds = floors["time-ordered UUIDs (7)"]
    floor_ratio = first_seconds / floor_seconds
    lines = [
        "## import_customers, 1 file, same run",
        "",
        machine_line("import_customers.py"),
        "",
        f"File: {options.rows:,} rows, {size_mb:.0f} MB CSV (every row an email, a locale, first "
        "and last name and one extra column going into data fields; 1 row in 4 a phone number, "
        "1 in 2 a correlation id).",
        "",
        "| what | seconds | rows/s | peak RSS |",
        "|---|---:|---:|---:|",
        f"| `psql \\copy` into a bare table (reference) | {copy_seconds:.1f} | "
        f"{options.rows / copy_seconds:,.0f} | n/a |",
    ]
    for label, seconds in floors.items():
        lines.append(
            f"| SQL floor: one statement into the real tables plus one ledger row each, {label} "
            f"| {seconds:.1f} | {options.rows / seconds:,.0f} | n/a |"
        )
    for label, seconds, rss, _ in runs:
        lines.append(
            f"| `import_customers`, {label} | {seconds:.1f} | {options.rows / seconds:,.0f} | "
            f"{rss:.0f} MB |"
        )
    lines += [
        "",
        f"- Ratio to `\\copy` (first import): **{ratio:.1f}x** (target ≤ {TARGET_RATIO:.0f}x: "
        f"{verdict(ratio <= TARGET_RATIO)}).",
        f"- Wall time (first import): **{first_seconds:.1f} s** (target ≤ {TARGET_SECONDS} s: "
        f"{verdict(first_seconds <= TARGET_SECONDS)}).",
        f"- Ratio to the same-schema SQL floor (time-ordered UUIDs, first import): "
        f"**{floor_ratio:.2f}x** (target ≤ {TARGET_FLOOR_RATIO}x: "
        f"{verdict(floor_ratio <= TARGET_FLOOR_RATIO)}).",
        f"- Re-run (all unchanged): **{runs[1][1]:.1f} s** (target ≤ {TARGET_RERUN_SECONDS} s: "
        f"{verdict(runs[1][1] <= TARGET_RERUN_SECONDS)}).",
        f"- Peak RSS: **{max(r[2] for r in runs):.0f} MB** (target ≤ {TARGET_RSS_MB} MB: "
        f"{verdict(max(r[2] for r in runs) <= TARGET_RSS_MB)}).",
        f"- Summaries: first `{runs[0][3]}`; re-run `{runs[1][3]}`.",
        "",
        "The import does much more than `\\copy`: it parses and validates every row in Python "
        "(email syntax, BCP 47 locale, E.164 phone numbers with the organisation's region), "
        "maintains five indexes on customers, and appends one ledger event (with its three "
        "indexes) per created customer, in one transaction per batch. `\\copy` writes raw text "
        "into an unindexed table.",
        "",
    ]
    if not options.no_write:
        write_section("import_customers", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
