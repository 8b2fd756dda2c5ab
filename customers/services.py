"""Every write of the customers app: one function per use case, transactional."""

import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import locking
from .authentication import token_digest
from .ledger import Change, Provenance, record_change, record_changes, redact_events_of
from .models import ApiToken, Customer, Membership, Organisation, slug_validator
from .normalisation import InvalidEmail, clean_email, normalise_email
from .tenancy import OutsideOrganisation

# A BCP 47 tag as the seed uses them: language, optional script, optional region
# ("en", "en-US", "de-DE", "zh-Hans-CN", "es-419"). Strict on purpose: no private use, no variants.
LOCALE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|[0-9]{3}))?$")


class InvalidCustomerInput(ValueError):
    """Input a customer cannot have; the message says why, for an API error or an import report."""


def clean_locale(value) -> str:
    """A BCP 47 tag such as en, en-US or de-DE, or InvalidCustomerInput."""
    if not isinstance(value, str) or not LOCALE_RE.match(value):
        raise InvalidCustomerInput("Enter a BCP 47 language tag such as en, en-US or de-DE.")
    return value


def profile_change(*, customer_id: int, created: bool, fields: Iterable[str]) -> Change:
    """The ledger's record of a customer created or updated: which fields, never their values."""
    return Change(
        kind="customer.profile",
        target="created" if created else "updated",
        old=None,
        new=sorted(fields),
        customer_id=customer_id,
    )


@transaction.atomic
def customer_create_or_update(
    *,
    organisation: Organisation,
    email: str,
    provenance: Provenance,
    locale: str | None = None,
    data_fields: dict | None = None,
    opt_in_type: str | None = None,
    email_type: str | None = None,
) -> tuple[Customer, bool]:
    """The organisation's customer with this email (any case), created or updated.

    `locale`, `opt_in_type` and `email_type` None leave them as they are; `data_fields` are
    merged into the stored ones (customer_merge_data_fields). Returns (customer, created).
    Concurrent calls for one new
    email create one customer: the loser of the insert race finds and updates the winner's row.
    A "customer.profile" ledger event when anything changed (a new customer: one event naming
    every field given), none otherwise.
    """
    try:
        email = clean_email(email)
    except InvalidEmail as exc:
        raise InvalidCustomerInput(str(exc)) from exc
    if locale is not None:
        locale = clean_locale(locale)
    customers = Customer.objects.for_organisation(organisation).select_for_update()
    customer = customers.with_email(email).first()
    created = False
    if customer is None:
        try:
            with transaction.atomic():  # a savepoint, so a lost race leaves our transaction usable
                customer = Customer.objects.create(
                    organisation=organisation,
                    email=email,
                    locale=locale or "",
                    data_fields=data_fields or {},
                    opt_in_type=opt_in_type or Customer.OptInType.UNKNOWN,
                    email_type=email_type or Customer.EmailType.HTML,
                )
            created = True
        except IntegrityError:
            customer = customers.with_email(email).get()
    given = {"locale": locale, "opt_in_type": opt_in_type, "email_type": email_type}
    if created:
        changed = ["email", *(name for name, value in given.items() if value)]
        changed += ["data_fields"] if data_fields else []
    else:
        changed = []
        for name, value in given.items():
            if value is not None and getattr(customer, name) != value:
                setattr(customer, name, value)
                changed.append(name)
        if changed:
            customer.save(update_fields=[*changed, "updated_at"])
    if changed:
        record_change(
            organisation=organisation,
            change=profile_change(customer_id=customer.pk, created=created, fields=changed),
            provenance=provenance,
        )
    if data_fields and not created:
        customer_merge_data_fields(
            customer=customer, data_fields=data_fields, provenance=provenance
        )
    return customer, created


@transaction.atomic
def customer_save(*, customer: Customer, changed_fields: Iterable[str], provenance: Provenance):
    """Save a customer edited as a whole (the admin's form), recording which fields changed.

    A customer never moves to another organisation (OutsideOrganisation).
    """
    created = customer._state.adding
    if not created and "organisation" in changed_fields:
        raise OutsideOrganisation("A customer cannot move to another organisation.")
    customer.save()
    changed = sorted(changed_fields)
    if created or changed:
        record_change(
            organisation=customer.organisation_id,
            change=profile_change(customer_id=customer.pk, created=created, fields=changed),
            provenance=provenance,
        )
    return customer


@transaction.atomic
def customer_merge_data_fields(*, customer: Customer, data_fields: dict, provenance: Provenance):
    """Merge `data_fields` into the customer's (given keys win); True when anything changed.

    Under the customer's lock (customers.locking), on the row as committed now, so concurrent
    merges of different keys all land. One "customer.profile" event naming the field, never the
    values, when something changed; none otherwise. `customer` is updated in place.
    Raises CustomerErased (a 404) when the customer is erased, also by a concurrent erasure.
    """
    if not data_fields:
        return False
    locked = locking.lock_live_customer(customer)
    merged = {**(locked.data_fields or {}), **data_fields}
    customer.data_fields = merged
    if merged == locked.data_fields:
        return False
    locked.data_fields = merged
    locked.save(update_fields=["data_fields", "updated_at"])
    customer.updated_at = locked.updated_at
    record_change(
        organisation=locked.organisation_id,
        change=profile_change(customer_id=locked.pk, created=False, fields=["data_fields"]),
        provenance=provenance,
    )
    return True


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
    try:
        # The lock every consent write of the customer takes first: writes that were waiting
        # for it find the customer erased and change nothing (customers.locking).
        customer = locking.lock_live_customer(customer)
    except locking.CustomerErased as exc:
        raise CustomerAlreadyErased(f"Customer {customer.pk} is already erased.") from exc
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


# Bulk import ------------------------------------------------------------------------------------
@dataclass
class CustomerRow:
    """One customer record of an import, validated and normalised (None = not given)."""

    email: str | None = None
    # normalise_email(email), set with it: the parser works it out once, in its own thread, and
    # the writer compares and stores it.
    email_key: str | None = None
    phone: str | None = None
    correlation_id: str | None = None
    locale: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    data_fields: dict | None = None
    # (key, digest) of the raw record (import_customers): the digest is stored on the customer
    # the row writes, so that a re-run of the same record is found unchanged without parsing.
    fingerprint: tuple | None = None

    def key(self) -> tuple[str, str]:
        """What identifies the customer: email when given, else correlation id, else phone."""
        if self.email is not None:
            return ("email", self.email_key)
        if self.correlation_id is not None:
            return ("correlation_id", self.correlation_id)
        return ("phone", self.phone)


# Profile fields an import may set, in the order of the ledger's sorted field names.
IMPORT_FIELDS = (
    "correlation_id",
    "data_fields",
    "email",
    "first_name",
    "last_name",
    "locale",
    "phone",
)


@dataclass
class BulkResult:
    counts: Counter = field(default_factory=Counter)
    # (row, reason) for rows only the database could judge (a correlation id owned by another).
    rejected: list = field(default_factory=list)


@transaction.atomic
def customers_import_rows(
    *, organisation: Organisation, rows: list[CustomerRow], provenance: Provenance
) -> BulkResult:
    """Create or update customers from import rows, set-based, one ledger event per changed one.

    Rows must have distinct keys (`CustomerRow.key`). Fields not given keep their stored values;
    data fields are merged into the stored ones. Email-keyed rows go through one
    `INSERT … ON CONFLICT … DO UPDATE … WHERE <changed>` fed by COPY on PostgreSQL; other rows,
    and every row on SQLite, through batched `bulk_create(update_conflicts=True)`.
    """
    result = BulkResult()
    if connection.vendor == "postgresql":
        by_email = [row for row in rows if row.email is not None]
        others = [row for row in rows if row.email is None]
        if by_email:
            from .bulk_postgres import upsert_email_rows

            upsert_email_rows(organisation, by_email, provenance, result)
        rows = others
    if rows:
        _import_rows_generic(organisation, rows, provenance, result)
    return result


def _import_rows_generic(organisation, rows, provenance, result: BulkResult) -> None:
    customers = Customer.objects.for_organisation(organisation).live()
    emails = [row.email_key for row in rows if row.email is not None]
    correlation_ids = [row.correlation_id for row in rows if row.correlation_id is not None]
    phones = [row.phone for row in rows if row.email is None and row.correlation_id is None]
    by_email, by_correlation_id, by_phone = {}, {}, {}
    for chunk in _chunks(emails):
        by_email.update((c.email_key, c) for c in customers.filter(email_key__in=chunk))
    for chunk in _chunks(correlation_ids):
        by_correlation_id.update(
            (c.correlation_id, c) for c in customers.filter(correlation_id__in=chunk)
        )
    for chunk in _chunks(phones):
        # Lowest id first, so a number shared by several customers picks the oldest.
        for c in customers.filter(phone__in=chunk).order_by("-id"):
            by_phone[c.phone] = c

    upserts, creates, updates = [], [], []
    for row in rows:
        kind, value = row.key()
        existing = {"email": by_email, "correlation_id": by_correlation_id, "phone": by_phone}[
            kind
        ].get(value)
        owner = by_correlation_id.get(row.correlation_id) if row.correlation_id else None
        if owner is not None and (existing is None or owner.pk != existing.pk):
            result.rejected.append((row, "correlation_id: already used by another customer."))
            continue
        customer = existing or Customer(organisation=organisation)
        changed = _merge_row(customer, row)
        if not changed:
            result.counts["unchanged"] += 1
            continue
        if customer.email_key is None:
            customer.email_key = normalise_email(customer.email)
        target = upserts if customer.email is not None else updates if existing else creates
        target.append((customer, existing is None, changed))

    now = timezone.now()
    for customer, _, _ in upserts + creates + updates:
        customer.updated_at = now
    if upserts:
        # update_conflicts: a customer created meanwhile with the same email is updated instead.
        Customer.objects.bulk_create(
            [c for c, _, _ in upserts],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["organisation", "email_key"],
            update_fields=[*IMPORT_FIELDS, "updated_at"],
        )
    if creates:
        Customer.objects.bulk_create([c for c, _, _ in creates], batch_size=1000)
    if updates:
        Customer.objects.bulk_update(
            [c for c, _, _ in updates], [*IMPORT_FIELDS, "updated_at"], batch_size=1000
        )
    changes = []
    for customer, created, changed in upserts + creates + updates:
        result.counts["created" if created else "updated"] += 1
        changes.append(profile_change(customer_id=customer.pk, created=created, fields=changed))
    record_changes(organisation=organisation, changes=changes, provenance=provenance)


def _merge_row(customer: Customer, row: CustomerRow) -> list[str]:
    """Apply the row's given fields to the customer; the names of those that changed."""
    changed = []
    for name in IMPORT_FIELDS:
        value = getattr(row, name)
        if value is None:
            continue
        if name == "data_fields":
            value = {**(customer.data_fields or {}), **value}
        elif name == "email" and customer.email is not None:
            continue  # the key: the stored spelling stays
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if customer.pk is None:
        for name in ("first_name", "last_name", "locale"):
            if getattr(customer, name) is None:
                setattr(customer, name, "")
    return changed


def _chunks(values: list, size: int = 5000):
    for start in range(0, len(values), size):
        yield values[start : start + size]
