"""What the benchmarks share: writing their results, reading processes' CPU time, running psql
and timing a child process.

bench/RESULTS.md holds one generated section per benchmark; each run replaces only its own.
Text outside the markers (hand-written notes) is kept as it is.
"""

import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def cpu_seconds(pids) -> dict[int, float]:
    """{pid: user + system CPU seconds used so far} of these processes (Linux /proc); gone ones
    left out."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return used


def cpu_used(before: dict, after: dict) -> float:
    """CPU seconds used between two readings by the processes alive at both."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a gunicorn master's workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def psql(url: str, *args: str, capture=False) -> str:
    """Run psql on `url` (stops at the first error); its unaligned output if `capture`."""
    done = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", *args],
        check=True,
        capture_output=capture,
        text=True,
    )
    return (done.stdout or "").strip()


def timed(cmd: list[str], env: dict) -> tuple[float, float, float, str]:
    """Wall seconds, peak RSS in MB and CPU seconds of exactly this child process, its output."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {output}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, usage.ru_maxrss / 1024, cpu, output.strip()
