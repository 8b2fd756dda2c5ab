"""The project installs reproducibly: every declared dependency has an exact pin in the lock."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_declared_dependency_is_pinned_in_the_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]}
    for extra in project.get("optional-dependencies", {}).values():
        declared |= {_name(r) for r in extra}
    pinned = {
        _name(line)
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert declared - pinned == set()


def test_the_build_finds_every_django_app():
    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(find_packages(str(ROOT), exclude=config["packages"]["find"]["exclude"]))
    from django.conf import settings

    ours = {app for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()}
    assert ours <= packages
    assert "config" in packages
    assert not any(p.startswith(("tests", "bench")) for p in packages)
