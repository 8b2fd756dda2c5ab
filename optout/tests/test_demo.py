import pytest
from django.core.management import call_command

from optout.models import CommunicationStatus, Department

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_a_department_with_statuses_and_is_idempotent(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert "/optoutstatus" in capsys.readouterr().out
    department = Department.objects.get()
    assert CommunicationStatus.objects.filter(department=department).count() == 3
    assert CommunicationStatus.objects.filter(customer__isnull=False).count() == 3
