"""Every write of the customers app: one function per use case, transactional."""

import secrets
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .authentication import token_digest
from .ledger import Change, Provenance, record_change, redact_events_of
from .models import ApiToken, Customer, Membership, Organisation, slug_validator


class CustomerAlreadyErased(Exception):
    pass


class UserInAnotherOrganisation(Exception):
    pass


@transaction.atomic
def organisation_get_or_create(*, slug: str, name: str | None = None) -> Organisation:
    """The organisation with this slug, created if missing. Raises ValidationError on a bad slug."""
    slug_validator(slug)
    organisation, _ = Organisation.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
    )
    return organisation


@transaction.atomic
def api_user_create_or_update(
    *, organisation: Organisation, username: str, password: str, read_only: bool = False
):
    """An API user of `organisation` with this password and role (updated if it exists)."""
    user_model = get_user_model()
    user = user_model.objects.select_for_update().filter(username=username).first()
    if user is None:
        user = user_model(username=username)
    else:
        membership = Membership.objects.filter(user=user).first()
        if membership and membership.organisation_id != organisation.pk:
            raise UserInAnotherOrganisation(
                f"User {username!r} belongs to organisation {membership.organisation.slug!r}."
            )
    user.set_password(password)
    user.save()
    role = Membership.Role.READ_ONLY if read_only else Membership.Role.READ_WRITE
    Membership.objects.update_or_create(
        user=user, defaults={"organisation": organisation, "role": role}
    )
    return user


@transaction.atomic
def api_token_issue(*, user, name: str = "") -> tuple[ApiToken, str]:
    """A new bearer token for `user`. The key is returned once and only its digest is kept."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, key_digest=token_digest(key), prefix=key[:8], name=name
    )
    return token, key


# Erasure ----------------------------------------------------------------------------------------
# Apps that hold personal data of a customer register a function here (in AppConfig.ready) that
# erases or hashes it. They run inside the erasure transaction, before the customer row is blanked,
# so they can still read the customer's email and phone.
Eraser = Callable[[Customer, Provenance], None]
_erasers: list[Eraser] = []


def register_eraser(eraser: Eraser) -> Eraser:
    if eraser not in _erasers:
        _erasers.append(eraser)
    return eraser


@transaction.atomic
def customer_erase(*, customer: Customer, provenance: Provenance) -> Customer:
    """Erase a customer's personal data (DESIGN §7), keeping a tombstone row.

    Other apps' registered erasers run first (logs lose their addresses, suppressions become
    keyed hashes), then the customer's own fields are blanked and the ledger's network details of
    their events redacted. The ledger keeps what changed and when. Erasing twice is refused.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.is_erased:
        raise CustomerAlreadyErased(f"Customer {customer.pk} is already erased.")
    for eraser in _erasers:
        eraser(customer, provenance)
    customer.email = None
    customer.phone = None
    customer.correlation_id = None
    customer.first_name = ""
    customer.last_name = ""
    customer.locale = ""
    customer.data_fields = {}
    customer.erased_at = timezone.now()
    customer.save()
    redact_events_of(customer)
    record_change(
        organisation=customer.organisation_id,
        change=Change(
            kind="customer.erased", target="", old=False, new=True, customer_id=customer.pk
        ),
        provenance=provenance,
    )
    return customer


@transaction.atomic
def api_tokens_revoke(*, tokens) -> int:
    """Revoke the given tokens (a queryset); already revoked ones stay as they were."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
