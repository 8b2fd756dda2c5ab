import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import ConsentEvent, Customer, Membership, Organisation

API_PASSWORD = "correct-horse-battery"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", API_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.READ_WRITE


class ApiUserFactory(UserFactory):
    """A user with a membership: `ApiUserFactory(membership__role="read_only")`."""

    membership = factory.RelatedFactory(MembershipFactory, factory_related_name="user")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = "Jo"
    last_name = "Bloggs"
    locale = "en-US"


class ConsentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentEvent

    organisation = factory.LazyAttribute(lambda o: o.customer.organisation)
    customer = factory.SubFactory(CustomerFactory)
    kind = "preference.opt_in"
    target = "1"
    old_value = False
    new_value = True
    source = ConsentEvent.Source.API
    occurred_at = factory.LazyFunction(timezone.now)
