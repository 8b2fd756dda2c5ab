import factory
from django.utils import timezone

from customers.tests.factories import CustomerFactory, OrganisationFactory
from preferences.models import Preference, PreferenceOptIn


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Preference

    organisation = factory.SubFactory(OrganisationFactory)
    is_preference = False
    public_name = factory.Sequence(lambda n: f"Category {n}")
    private_name = factory.LazyAttribute(lambda o: o.public_name)
    order = factory.Sequence(lambda n: n)


class PreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Preference

    organisation = factory.LazyAttribute(
        lambda o: o.category.organisation if o.category else OrganisationFactory()
    )
    is_preference = True
    category = None
    public_name = factory.Sequence(lambda n: f"Preference {n}")
    private_name = factory.LazyAttribute(lambda o: o.public_name)
    order = factory.Sequence(lambda n: n)


class PreferenceOptInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PreferenceOptIn

    preference = factory.SubFactory(PreferenceFactory)
    customer = factory.SubFactory(
        CustomerFactory, organisation=factory.SelfAttribute("..preference.organisation")
    )
    opted_in = True
    modified_at = factory.LazyFunction(timezone.now)
