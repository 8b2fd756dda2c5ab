"""Reads shared by the two dialects, the admin and the commands.

Each selector runs a constant number of queries whatever the size of its answer.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import connection
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.http import Http404

from customers.models import Customer, live_customer
from customers.normalisation import parse_id
from customers.rows import ModelRows, any_of, fetch, json_object
from customers.selectors import ContactNotFound, live_customer_or_none

from .models import Preference, PreferenceOptIn

# The most a with-preference or opt-ins-since list answers (seed 002: "the top 1000").
CONTACT_PAGE_SIZE = 1000
MAX_ID = 2**63 - 1


class NotAPreference(ValueError):
    """The id names a category where a preference is needed."""


_PREFERENCE = ModelRows(Preference, "p")
_CATEGORY = ModelRows(Preference, "k")
_TABLE = Preference._meta.db_table
_PREFERENCE_SQL = (
    f"SELECT {_PREFERENCE.columns}, {_CATEGORY.columns} FROM {_TABLE} p "
    f"LEFT JOIN {_TABLE} k ON k.id = p.category_id "
    "WHERE p.organisation_id = %s AND p.id = %s"
)


def preference_or_404(*, organisation, preference_id) -> Preference:
    """A preference or category of the organisation by id (any string), else Http404.

    One fixed statement, with the category attached.
    """
    pk = parse_id(preference_id, maximum=MAX_ID)
    if not pk:
        raise Http404("Preference not found.")
    rows = fetch(_PREFERENCE_SQL, [getattr(organisation, "pk", organisation), pk])
    if not rows:
        raise Http404(f"No {Preference._meta.verbose_name} matches the given query.")
    preference = _PREFERENCE.instance(rows[0])
    category = _CATEGORY.instance(rows[0], _PREFERENCE.width) if preference.category_id else None
    Preference._meta.get_field("category").set_cached_value(preference, category)
    return preference


def leaf_preference_or_404(*, organisation, preference_id) -> Preference:
    """Like preference_or_404, and raises NotAPreference for a category."""
    preference = preference_or_404(organisation=organisation, preference_id=preference_id)
    if not preference.is_preference:
        raise NotAPreference(f"{preference.pk} is a preference category, not a preference.")
    return preference


def _contact_id(identifier) -> tuple[str, int | None]:
    """(the identifier as text, the contact id it spells if it is all digits, else None): a
    v2 contact is named by id when the identifier is digits, else by email address. Digits
    beyond a valid id name no contact (ContactNotFound)."""
    text = str(identifier).strip()
    if not (text.isascii() and text.isdigit()):
        return text, None
    pk = parse_id(text, maximum=MAX_ID)
    if pk is None:
        raise ContactNotFound()
    return text, pk


def contact_or_404(*, organisation, identifier: str) -> Customer:
    """The v2 contact by contact id (the integer id) or email address, else ContactNotFound."""
    text, pk = _contact_id(identifier)
    if pk is not None:
        customer = live_customer_or_none(organisation=organisation, pk=pk)
        if customer is None:
            raise ContactNotFound()
        return customer
    # PostgreSQL refuses NUL in text: such an identifier can name no contact.
    if "@" not in text or "\x00" in text:
        raise ContactNotFound()
    customer = Customer.objects.live().for_organisation(organisation).with_email(text).first()
    if customer is None:
        raise ContactNotFound()
    return customer


# The tree ------------------------------------------------------------------------------------
@dataclass
class Node:
    """A preference or category with what the v2 answers show beside it."""

    preference: Preference
    children: list["Node"] = field(default_factory=list)
    opted_in: bool | None = None

    @property
    def preference_count(self) -> int:
        return len(self.children) if not self.preference.is_preference else 0


def _tree(rows) -> list[Node]:
    """Top-level nodes in order, each category with its preferences in order."""
    nodes = {row.pk: Node(row) for row in rows}
    top = []
    for node in nodes.values():
        parent = nodes.get(node.preference.category_id)
        if node.preference.category_id is None:
            top.append(node)
        elif parent is not None:
            parent.children.append(node)
    key = lambda n: (n.preference.order, n.preference.pk)  # noqa: E731
    top.sort(key=key)
    for node in top:
        node.children.sort(key=key)
    return top


def preference_tree(*, organisation) -> list[Node]:
    """Every preference and category of the organisation as a tree (one query)."""
    return _tree(Preference.objects.for_organisation(organisation))


# The state of each row is an index lookup on the (customer, preference) unique constraint.
_TREE_OF_CONTACT_SQL = (
    f"SELECT {_PREFERENCE.columns}, (SELECT o.opted_in FROM {PreferenceOptIn._meta.db_table} o "
    "WHERE o.customer_id = %s AND o.preference_id = p.id) "
    f"FROM {_TABLE} p WHERE p.organisation_id = %s"
)


# The same for a contact named by id, with the contact's lookup in the same statement: no row if
# the organisation has no such live contact, one row without a preference (p.id NULL) if it has
# no preferences.
_TREE_OF_CONTACT_ID_SQL = (
    f"SELECT {_PREFERENCE.columns}, (SELECT o.opted_in FROM {PreferenceOptIn._meta.db_table} o "
    "WHERE o.customer_id = c.id AND o.preference_id = p.id) "
    f"FROM {Customer._meta.db_table} c "
    f"LEFT JOIN {_TABLE} p ON p.organisation_id = c.organisation_id "
    "WHERE c.organisation_id = %s AND c.id = %s AND c.erased_at IS NULL"
)


def preference_tree_of_contact(*, organisation, customer: Customer) -> list[Node]:
    """The tree with the customer's state on every preference (one fixed statement)."""
    # Its times are only shown (v2 `created`, `lastModified`): read by psycopg's loader.
    rows = fetch(
        _TREE_OF_CONTACT_SQL,
        [customer.pk, getattr(organisation, "pk", organisation)],
        native_timestamps=True,
    )
    return _tree_with_states(rows)


def preference_tree_of_contact_identifier(*, organisation, identifier: str) -> list[Node]:
    """preference_tree_of_contact of the contact `identifier` names (as contact_or_404 reads
    it), else ContactNotFound. A contact id costs one statement, the lookup and the tree
    together: the hot path of GET /v2/contacts/{id}/preferences."""
    text, pk = _contact_id(identifier)
    if pk is None:
        customer = contact_or_404(organisation=organisation, identifier=text)
        return preference_tree_of_contact(organisation=organisation, customer=customer)
    rows = fetch(
        _TREE_OF_CONTACT_ID_SQL,
        [getattr(organisation, "pk", organisation), pk],
        native_timestamps=True,
    )
    if not rows:
        raise ContactNotFound()
    return _tree_with_states([row for row in rows if row[0] is not None])


def _tree_with_states(rows) -> list[Node]:
    """The tree of preference rows, each followed by the contact's opted_in (NULL: no row)."""
    preferences = _PREFERENCE.instances(rows)
    states = {
        preference.pk: bool(row[_PREFERENCE.width])
        for preference, row in zip(preferences, rows, strict=True)
    }
    tree = _tree(preferences)
    for node in tree:
        for item in [node, *node.children]:
            if item.preference.is_preference:
                item.opted_in = states[item.preference.pk]
    return tree


def preferences_modified_since(*, organisation, since: datetime) -> list[Node]:
    """Top-level items changed since `since` (a category also when one of its preferences
    changed), each category with all its preferences; oldest change first, then id."""
    # preference_org_modified_idx
    changed = list(
        Preference.objects.for_organisation(organisation)
        .filter(last_modified__gte=since)
        .values_list("pk", "category_id", "last_modified")
    )
    if not changed:
        return []
    changed_at: dict[int, datetime] = {}
    for pk, category_id, modified in changed:
        top_id = category_id or pk
        changed_at[top_id] = max(modified, changed_at.get(top_id, modified))
    rows = Preference.objects.for_organisation(organisation).filter(
        Q(pk__in=changed_at) | Q(category_id__in=changed_at)
    )
    tree = _tree(rows)
    tree.sort(key=lambda n: (changed_at[n.preference.pk], n.preference.pk))
    return tree


# Customer marketing preferences (seed 000) ------------------------------------------------------
@dataclass
class MarketingPreferenceState:
    preference: Preference
    opted_in: bool
    modified_at: datetime | None


def marketing_preferences_page(*, organisation, customer: Customer, page: int, per_page: int):
    """(total, states of one page): the organisation's preferences in id order (3 queries)."""
    preferences = Preference.objects.for_organisation(organisation).filter(is_preference=True)
    total = preferences.count()
    offset = (page - 1) * per_page
    if offset >= total:
        return total, []
    # preference_org_prefs_idx; preferences are few per organisation, so OFFSET stays cheap.
    rows = list(preferences.select_related("category").order_by("id")[offset : offset + per_page])
    return total, marketing_states(customer=customer, preferences=rows)


_OPT_IN = ModelRows(PreferenceOptIn, "o")


def opt_in_rows(*, customer_ids, preference_ids) -> list[PreferenceOptIn]:
    """The stored opt-in rows of these customers for these preferences (one fixed statement)."""
    customer_ids, preference_ids = list(customer_ids), list(preference_ids)
    if not customer_ids or not preference_ids:
        return []
    table = PreferenceOptIn._meta.db_table
    on_customers, customer_params = any_of("o.customer_id", customer_ids)
    on_preferences, preference_params = any_of("o.preference_id", preference_ids)
    rows = fetch(
        f"SELECT {_OPT_IN.columns} FROM {table} o WHERE {on_customers} AND {on_preferences}",
        [*customer_params, *preference_params],
    )
    return _OPT_IN.instances(rows)


def marketing_states(*, customer: Customer, preferences: list[Preference]):
    """The customer's state for each preference; no row means opted out (one query)."""
    rows = {
        row.preference_id: row
        for row in opt_in_rows(
            customer_ids=[customer.pk], preference_ids=[preference.pk for preference in preferences]
        )
    }
    states = []
    for preference in preferences:
        row = rows.get(preference.pk)
        states.append(
            MarketingPreferenceState(
                preference=preference,
                opted_in=row.opted_in if row else False,
                modified_at=row.modified_at if row else None,
            )
        )
    return states


# Contacts with a preference (seed 002) ----------------------------------------------------------
# On PostgreSQL the two lists below look each contact up with a LATERAL subquery that the planner
# may not flatten (OFFSET 0): a nested loop over the opt-in index in contact order that stops at
# the page's last row. Written as a plain join, the planner merge-joins against the customers'
# primary key from its first row (PostgreSQL does not carry `customer_id >= minContactID` over to
# customers.id), reading every customer below minContactID, or, when few rows match, every
# customer above it: 50 to 130 ms over 200,000 customers instead of a few.
_OPT_INS_TABLE = PreferenceOptIn._meta.db_table
_LIVE_CONTACT = f"""
    CROSS JOIN LATERAL (
        SELECT {{columns}} FROM {Customer._meta.db_table} c
        WHERE c.id = o.customer_id AND c.erased_at IS NULL
        OFFSET 0
    ) c
"""


def contacts_opted_in(*, preference: Preference, min_contact_id: int) -> list[tuple[int, str]]:
    """(contact id, email) of contacts opted into the preference, ascending id from
    min_contact_id, at most 1000 (one query).

    Keyset paging over optin_pref_opted_in_idx (preference, customer) WHERE opted_in.
    """
    if connection.vendor == "postgresql":
        return fetch(
            f"SELECT o.customer_id, c.email FROM {_OPT_INS_TABLE} o"
            + _LIVE_CONTACT.format(columns="c.email")
            + "WHERE o.preference_id = %s AND o.opted_in AND o.customer_id >= %s "
            "ORDER BY o.customer_id LIMIT %s",
            [preference.pk, min_contact_id, CONTACT_PAGE_SIZE],
        )
    return list(
        PreferenceOptIn.objects.filter(
            live_customer("customer"),
            preference=preference,
            opted_in=True,
            customer_id__gte=min_contact_id,
        )
        .order_by("customer_id")
        .values_list("customer_id", "customer__email")[:CONTACT_PAGE_SIZE]
    )


class ContactOptIn(NamedTuple):
    """One row of opt-ins-since: the contact's v2 fields (`pk` … `data_fields`, what
    customers.api.v2_contact and the status lookup read) and its opt-in to the preference."""

    pk: int
    email: str | None
    email_key: str | None
    organisation_id: int
    opt_in_type: str
    email_type: str
    data_fields: dict
    preference_id: int
    opted_in: bool
    modified_at: datetime


_CONTACT_FIELDS = ("email", "email_key", "organisation_id", "opt_in_type", "email_type")


def opt_ins_modified_since(
    *, preference: Preference, since: datetime, min_contact_id: int
) -> list[ContactOptIn]:
    """Opt-in rows of the preference changed since `since` (in or out), ascending contact id
    from min_contact_id, at most 1000, with their contacts (one query; plain rows, not model
    instances: 2,000 of those per page cost more than the query).

    Served by optin_pref_cust_modified_idx (preference, customer, modified_at, holding the
    state too), a range scan in contact order from the index alone that stops at the page's last
    row, or by optin_pref_modified_idx
    (preference, modified_at, customer) and a sort when few rows changed since the date.
    """
    if connection.vendor == "postgresql":
        columns = ", ".join(f"c.{name}" for name in _CONTACT_FIELDS) + ", c.data_fields"
        rows = fetch(
            f"SELECT o.customer_id, {columns}, o.preference_id, o.opted_in, o.modified_at "
            f"FROM {_OPT_INS_TABLE} o"
            + _LIVE_CONTACT.format(columns=columns)
            + "WHERE o.preference_id = %s AND o.modified_at >= %s AND o.customer_id >= %s "
            "ORDER BY o.customer_id LIMIT %s",
            [preference.pk, since, min_contact_id, CONTACT_PAGE_SIZE],
            native_timestamps=True,  # modified_at is only formatted
        )
        # The backend hands jsonb over as text (JSONField decodes it); so do we.
        return [ContactOptIn(*row[:6], json_object(row[6]), *row[7:]) for row in rows]
    rows = (
        PreferenceOptIn.objects.filter(
            live_customer("customer"),
            preference=preference,
            modified_at__gte=since,
            customer_id__gte=min_contact_id,
        )
        .order_by("customer_id")
        .annotate(data_text=Cast("customer__data_fields", TextField()))
        .values_list(
            "customer_id",
            *(f"customer__{name}" for name in _CONTACT_FIELDS),
            "data_text",
            "preference_id",
            "opted_in",
            "modified_at",
        )[:CONTACT_PAGE_SIZE]
    )
    # Data fields decoded as on PostgreSQL (fractions as JsonFloat, for the answer's renderer).
    return [ContactOptIn(*row[:6], json_object(row[6]), *row[7:]) for row in rows]


# Contact preference PUT (seed 002) ---------------------------------------------------------------
class InvalidStates(ValueError):
    """The wanted states contradict the tree or each other (a 400)."""


class UnknownPreferences(LookupError):
    """Ids that are not preferences or categories of the organisation (a 404)."""


def contact_preference_states(*, organisation, items: list[dict]) -> dict[int, bool]:
    """{preference id: opted in} from the seed's nested form (two queries at most).

    Items are `{id, isPreference: true, isOptedIn}` or a category
    `{id, isPreference: false, preferences: [...]}`; a category with `isOptedIn` and no
    `preferences` sets every preference in it.
    """
    wanted: list[tuple[int, bool, int | None]] = []  # (id, state, expected category or None)
    whole_categories: dict[int, bool] = {}
    kinds: dict[int, bool] = {}  # id → is_preference as the request says
    for item in items:
        kinds[item["id"]] = item["isPreference"]
        if item["isPreference"]:
            if "isOptedIn" not in item or item.get("preferences"):
                raise InvalidStates(f"Preference {item['id']}: give isOptedIn, no preferences.")
            wanted.append((item["id"], item["isOptedIn"], None))
        elif "preferences" in item:
            for child in item["preferences"]:
                if not child["isPreference"] or "isOptedIn" not in child:
                    raise InvalidStates(
                        f"Category {item['id']}: its preferences need isPreference true and "
                        "isOptedIn."
                    )
                kinds[child["id"]] = True
                wanted.append((child["id"], child["isOptedIn"], item["id"]))
        elif "isOptedIn" in item:
            whole_categories[item["id"]] = item["isOptedIn"]
        else:
            raise InvalidStates(f"Category {item['id']}: give preferences or isOptedIn.")
    if not kinds:
        return {}
    found = {
        pk: (is_preference, category_id)
        for pk, is_preference, category_id in Preference.objects.for_organisation(organisation)
        .filter(pk__in=kinds)
        .values_list("pk", "is_preference", "category_id")
    }
    missing = sorted(set(kinds) - set(found))
    if missing:
        raise UnknownPreferences(f"Preference(s) not found: {', '.join(map(str, missing))}.")
    for pk, is_preference in kinds.items():
        if found[pk][0] != is_preference:
            what = "a preference" if found[pk][0] else "a category"
            raise InvalidStates(f"{pk} is {what}: isPreference does not match.")
    if whole_categories:
        children = Preference.objects.for_organisation(organisation).filter(
            category_id__in=whole_categories
        )
        for pk, category_id in children.values_list("pk", "category_id"):
            wanted.append((pk, whole_categories[category_id], category_id))
    states: dict[int, bool] = {}
    for pk, state, category_id in wanted:
        if category_id is not None and found.get(pk, (True, category_id))[1] != category_id:
            raise InvalidStates(f"Preference {pk} is not in category {category_id}.")
        if states.get(pk, state) != state:
            raise InvalidStates(f"Preference {pk} is given both opted in and opted out.")
        states[pk] = state
    return states


# Imports ----------------------------------------------------------------------------------------
def customer_ids_by_identifiers(*, organisation, keys) -> dict[tuple, int]:
    """{(kind, value): customer id} for ("id", int), ("uuid", UUID), ("email", normalised)
    keys; at most one query per kind. Unknown, foreign and erased customers are left out."""
    by_kind: dict[str, set] = {}
    for kind, value in keys:
        by_kind.setdefault(kind, set()).add(value)
    customers = Customer.objects.live().for_organisation(organisation)
    found: dict[tuple, int] = {}
    # __in_array: one parameter for thousands of keys (customers.lookups).
    if "id" in by_kind:
        for pk in customers.filter(pk__in_array=by_kind["id"]).values_list("pk", flat=True):
            found[("id", pk)] = pk
    if "uuid" in by_kind:
        for pk, value in customers.filter(uuid__in_array=by_kind["uuid"]).values_list("pk", "uuid"):
            found[("uuid", value)] = pk
    if "email" in by_kind:
        rows = customers.filter(email_key__in_array=by_kind["email"]).values_list("pk", "email_key")
        for pk, value in rows:
            found[("email", value)] = pk
    return found


def preference_ids_in(*, organisation, ids) -> set[int]:
    """The ids that are preferences (not categories) of the organisation (one query)."""
    return set(
        Preference.objects.for_organisation(organisation)
        .filter(pk__in_array=set(ids), is_preference=True)
        .values_list("pk", flat=True)
    )


def export_preference_states(customer) -> list[dict]:
    """The customer's recorded preference states, for the export (customers.exporting)."""
    return list(
        PreferenceOptIn.objects.filter(customer_id=customer.pk)
        .order_by("preference_id")
        .values("preference_id", "preference__public_name", "opted_in", "modified_at")
    )
