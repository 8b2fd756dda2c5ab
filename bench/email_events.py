"""Times POST /consent/v1/email-events with 10,000 events per call through gunicorn (≤ 1 s).

    python bench/email_events.py [--calls 5] [--customers 100000] [--port N] [--no-write]

Uses bench/decisions.py's database (100,000 customers, filled set-based with SQL, in its own
database: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/consent_bench_events)
and its gunicorn server (DEBUG=false, loopback). Each call carries 10,000 new events (new
message ids): deliveries, opens, clicks, deferrals, 8 % hard bounces, 2 % complaints, 5 %
unsubscribes, 10 % for addresses without a customer. A last call replays the first (all
duplicates, nothing written).
"""

import argparse
import importlib.util
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/consent_bench_events"
)
_spec = importlib.util.spec_from_file_location("bench_decisions", ROOT / "bench" / "decisions.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

KINDS = (
    ["delivered"] * 50
    + ["opened"] * 20
    + ["clicked"] * 10
    + ["deferred"] * 5
    + ["bounce"] * 8
    + ["spamreport"] * 2
    + ["unsubscribe"] * 5
)


def events(call: int, customers: int, size: int = 10_000) -> list[dict]:
    step = max(1, customers // size)
    batch = []
    for n in range(size):
        known = n % 10 != 9
        email = (
            f"c{1 + (n * step + call) % customers}@example.com"
            if known
            else f"x{call}-{n}@example.net"
        )
        batch.append(
            {
                "email": email,
                "event": KINDS[(n * 7 + call) % len(KINDS)],
                "timestamp": 1767225600 + n,
                "messageId": f"msg-{call}-{n}",
                "emailName": "Spring sale",
            }
        )
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--port", type=int, help="gunicorn's port (default: any free one)")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    args = parser.parse_args()
    sys.path.append(str(ROOT / "bench"))
    from results import machine_line, write_section

    load_before = os.getloadavg()[0]
    bench.fresh_database(args.customers)
    bodies = [events(call, args.customers) for call in range(args.calls + 1)]
    server = bench.Server(port=args.port)
    try:
        server.timed_posts("/consent/v1/email-events", [bodies[0][:10]] * 2)  # warm up
        times, answers, web_cpu, db_cpu = server.measured_posts(
            "/consent/v1/email-events", bodies[1:]
        )
        replay_times, replay = server.timed_posts("/consent/v1/email-events", [bodies[1]])
    finally:
        server.stop()
    from django.db import connections

    connections.close_all()
    bench.psql(f"DROP DATABASE {bench.DB_NAME}")

    median = statistics.median(times)
    runs = ", ".join(f"{t:.0f} ms" for t in times)
    lines = [
        "## email events, 10,000 events per call (target ≤ 1 s)",
        "",
        machine_line("email_events.py") + f" Load average when the run started: {load_before:.1f}.",
        "",
        f"POST /consent/v1/email-events through gunicorn (2 workers, DEBUG=false, loopback), "
        f"{args.customers:,} customers; each call 10,000 new events (15 % of them suppressing: "
        "bounce, spamreport, unsubscribe; 10 % for addresses without a customer). First "
        f"answer: {answers[0]}.",
        "",
        "| case | median | CPU per call | runs |",
        "|---|---:|---:|---|",
        f"| 10,000 new events | {median:.0f} ms ({'met' if median <= 1000 else 'NOT met'}) "
        f"| {web_cpu + db_cpu:.0f} ms ({web_cpu:.0f} web + {db_cpu:.0f} PostgreSQL) | {runs} |",
        f"| the same 10,000 replayed (all duplicates) | {replay_times[0]:.0f} ms | | {replay[0]} |",
        "",
        "Beside suppress-contacts (its section of this file): both write suppressions and their "
        "ledger events set-based in a fixed number of statements; email events also write one "
        "email log per event of a known address.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("email_events", text)


if __name__ == "__main__":
    main()
