"""seed_demo gives the demo organisation's customers a few email logs."""

from io import StringIO

import pytest
from django.core.management import call_command

from emaillogs.models import EmailLog

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_logs_once():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    assert EmailLog.objects.count() == 9
