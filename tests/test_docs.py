"""The README and docs/ stand on their own: every file they name exists in the repository."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A repository path in backticks: a file with an extension, or a folder ending in a slash.
NAMED_PATH = re.compile(r"`((?:[\w.-]+/)*[\w.-]+\.(?:md|py|csv|png|toml|lock)|(?:[\w.-]+/)+)`")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_documents_do_not_send_readers_outside_the_repository(document):
    text = document.read_text()
    assert "../" not in text
    assert "DESIGN" not in text and "§" not in text


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_repository_file_a_document_names_exists(document):
    missing = []
    for name in NAMED_PATH.findall(document.read_text()):
        # A bare per-app name (`models.py`, `api/`) counts when an app has it.
        apps = [path for path in ROOT.iterdir() if (path / "apps.py").exists()]
        candidates = [ROOT / name, document.parent / name, *(app / name for app in apps)]
        if not any(path.exists() for path in candidates) and not _generated(name):
            missing.append(name)
    assert missing == []


def _generated(name: str) -> bool:
    # Files the service or its commands create at run time, named in the docs as outputs.
    return name.endswith(".rejects.csv") or name in {".venv/", "db.sqlite3", "staticfiles/"}
