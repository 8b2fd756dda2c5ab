"""Helpers for testing import commands (every app's import tests use them)."""

import csv
from io import StringIO

from django.core.management import call_command


def run_import(command, path, *args, organisation: str = "acme") -> str:
    """Run an import command on `path` for `organisation`; its output."""
    out = StringIO()
    call_command(
        command, str(path), "--organisation", organisation, "--no-progress", *args, stdout=out
    )
    return out.getvalue()


def write_file(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejected_rows(path) -> list[tuple[int, str]]:
    """(line, reason) of each row the import wrote to its reject report."""
    with open(f"{path}.rejects.csv", encoding="utf-8") as f:
        return [(int(row["line"]), row["reason"]) for row in csv.DictReader(f)]
