"""Settings come from the environment (DESIGN §9)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_value(expression: str, **env) -> str:
    """Evaluate `expression` against config.settings loaded with only `env` set."""
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "SECRET_KEY")
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print(repr(({expression})))"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_with_nothing_set_it_runs_on_a_sqlite_file_in_the_project():
    value = settings_value("s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME']")
    assert value == repr(("django.db.backends.sqlite3", str(ROOT / "db.sqlite3")))


def test_database_url_selects_postgresql():
    value = settings_value(
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], "
        "s.DATABASES['default']['HOST']",
        DATABASE_URL="postgres://u:p@db.internal:5432/consent",
    )
    assert value == "('django.db.backends.postgresql', 'consent', 'db.internal')"


def test_without_a_broker_tasks_run_in_process():
    assert settings_value("s.CELERY_TASK_ALWAYS_EAGER") == "True"
    assert settings_value("s.CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_URL="redis://x:6379/0") == (
        "False"
    )


def test_production_posture_requires_a_secret_key():
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY",)}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**clean, "DEBUG": "false"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_posture_passes_check_deploy():
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "consent.example.com",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
