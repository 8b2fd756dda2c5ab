"""bench/RESULTS.md holds one generated section per benchmark; each run replaces only its own.

Text outside the markers (hand-written notes) is kept as it is.
"""

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
TITLE = "# Benchmark results\n"


def machine_line(script: str) -> str:
    return (
        f"`bench/{script}`, run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"({platform.machine()}), Python {platform.python_version()}, PostgreSQL on loopback; "
        f"load average {os.getloadavg()[0]:.1f} when the run ended (anything else running on "
        "the machine makes the figures pessimistic)."
    )


def write_section(name: str, text: str) -> None:
    """Replace the generated section `name` of RESULTS.md (appended when missing)."""
    begin, end = f"<!-- begin {name} (generated) -->", f"<!-- end {name} -->"
    block = f"{begin}\n{text.strip()}\n{end}"
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else TITLE
    if begin in current and end in current:
        before, rest = current.split(begin, 1)
        after = rest.split(end, 1)[1]
        updated = before + block + after
    else:
        updated = current.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(updated, encoding="utf-8")
