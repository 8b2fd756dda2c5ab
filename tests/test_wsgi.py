"""The WSGI entry point: what lives as long as the process is loaded, then frozen."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wsgi_application_loads_the_views_and_freezes_what_it_loaded():
    script = (
        "import gc, sys; import config.wsgi; "
        "print(gc.get_freeze_count() > 0, 'decisions.api.decisions' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x" * 50, "PATH": ""},
    ).stdout
    assert output.split() == ["True", "True"]
