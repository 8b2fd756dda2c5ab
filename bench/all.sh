#!/bin/sh
# Every benchmark behind a target, one after another, each writing its section of
# bench/RESULTS.md: one run of the whole table. Run it on a quiet machine (about 30 minutes on
# 2 cores); the start time and load average of each are printed, to copy into the notes.
set -e
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
for bench in import_customers import_optins suppress_contacts decisions email_events api lists; do
    echo "== $bench: start $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    "$PY" "bench/$bench.py" "$@"
done
echo "== done $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
