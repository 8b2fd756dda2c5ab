import pytest

from customers import demo as customers_demo
from preferences import demo
from preferences.models import Preference, PreferenceOptIn

pytestmark = pytest.mark.django_db


def test_demo_seeds_a_tree_and_opt_ins_and_is_idempotent(organisation):
    customers_demo.seed(organisation)
    demo.seed(organisation)
    counts = (Preference.objects.count(), PreferenceOptIn.objects.count())
    lines = demo.seed(organisation)

    assert (Preference.objects.count(), PreferenceOptIn.objects.count()) == counts
    assert counts == (7, 5)
    assert "5 preferences in 2 categories" in lines[0]
    newsletters = Preference.objects.get(public_name="Newsletters")
    assert list(newsletters.preferences.values_list("order", flat=True)) == [0, 1]
