import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.models import Organisation
from optout.models import Department

pytestmark = pytest.mark.django_db


def create_department(*args):
    out = StringIO()
    call_command("create_department", *args, stdout=out)
    return out.getvalue().strip()


def test_it_prints_the_uuid_of_the_new_department(organisation):
    printed = create_department("--organisation", "acme", "--name", "Care")
    department = Department.objects.get()
    assert printed == str(department.uuid)
    assert (department.organisation, department.name) == (organisation, "Care")


def test_it_creates_the_organisation_if_missing():
    create_department("--organisation", "newco", "--name", "Care")
    assert Department.objects.get().organisation == Organisation.objects.get(slug="newco")


def test_it_uses_a_given_uuid_and_phone_region(organisation):
    given = uuid.uuid4()
    printed = create_department(
        "--organisation", "acme", "--name", "UK", "--uuid", str(given), "--phone-region", "gb"
    )
    department = Department.objects.get()
    assert printed == str(given) == str(department.uuid)
    assert department.phone_region == "GB"
    assert department.region == "GB"


def test_without_a_phone_region_national_numbers_follow_the_organisation(organisation):
    organisation.phone_region = "DE"
    organisation.save()
    create_department("--organisation", "acme", "--name", "Care")
    assert Department.objects.get().region == "DE"


def test_running_it_again_prints_the_same_department(organisation):
    first = create_department("--organisation", "acme", "--name", "Care")
    again = create_department("--organisation", "acme", "--name", "Care", "--phone-region", "GB")
    assert first == again
    assert Department.objects.get().phone_region == "GB"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--uuid", "nope"], "not a UUID"),
        (["--phone-region", "XX"], "not a phone region"),
    ],
)
def test_it_refuses_bad_arguments(organisation, args, message):
    with pytest.raises(CommandError, match=message):
        create_department("--organisation", "acme", "--name", "Care", *args)
    assert not Department.objects.exists()


def test_it_refuses_a_uuid_taken_by_another_department(organisation, other_organisation):
    taken = create_department("--organisation", "globex", "--name", "Theirs")
    with pytest.raises(CommandError, match="belongs to another department"):
        create_department("--organisation", "acme", "--name", "Ours", "--uuid", taken)


def test_it_refuses_a_different_uuid_for_an_existing_name(organisation):
    create_department("--organisation", "acme", "--name", "Care")
    with pytest.raises(CommandError, match="already exists"):
        create_department("--organisation", "acme", "--name", "Care", "--uuid", str(uuid.uuid4()))


def test_it_refuses_a_bad_organisation_slug():
    with pytest.raises(CommandError):
        create_department("--organisation", "Not A Slug", "--name", "Care")
