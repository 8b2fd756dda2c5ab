import pytest

from subscriptions import demo
from subscriptions.models import ChannelSubscription, Suppression

pytestmark = pytest.mark.django_db


def test_seeding_twice_gives_the_same_data(organisation, customer):
    demo.seed(organisation)
    lines = demo.seed(organisation)
    assert Suppression.objects.count() == 3
    assert ChannelSubscription.objects.filter(customer=customer).count() == 2
    assert any("member-1" in line for line in lines)
