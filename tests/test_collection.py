"""`pytest -n` needs every worker to collect the same tests: parametrize ids must be stable
(no uuid4(), random values or timestamps at collection time)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_second_collection_names_the_same_tests(request):
    """Collects this run's test files again in a fresh process and compares the test ids."""
    ours = {item.nodeid for item in request.session.items}
    files = sorted({nodeid.split("::")[0] for nodeid in ours})
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    output = subprocess.run(
        [*command, *files],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "random"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    ).stdout
    theirs = {line for line in output.splitlines() if "::" in line}
    # Only the ids that differ: tests deselected here (-k, -m) are collected there too.
    assert {nodeid for nodeid in ours if nodeid not in theirs} == set()
