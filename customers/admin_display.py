"""How consent reads in the admin: one rendering of ledger values, names instead of raw ids,
and the customer page's consent summary.

The customers app knows only its own ledger kinds. Apps above it describe theirs
(`describe_ledger_kind`) and add their rows to the customer page's summary
(`attach_customer_summary`) from their admin.py, so customers never imports them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .models import ConsentEvent, Customer

TargetNamer = Callable[[int, Iterable[str]], dict[str, str]]


@dataclass(frozen=True)
class LedgerKindDisplay:
    """How one ledger kind reads: its name, words for its stored values, names for its targets."""

    label: str
    values: dict = field(default_factory=dict)
    # (organisation id, targets) → {target: name}, one query for a whole page of events.
    target_names: TargetNamer | None = None


_LEDGER_KINDS: dict[str, LedgerKindDisplay] = {
    "customer.profile": LedgerKindDisplay("Profile"),
    "customer.erased": LedgerKindDisplay("Erasure", {True: "erased", False: "not erased"}),
}


def describe_ledger_kind(kind: str, display: LedgerKindDisplay) -> None:
    _LEDGER_KINDS[kind] = display


def ledger_kinds() -> list[tuple[str, str]]:
    """(kind, label) of every described ledger kind, by label."""
    return sorted(
        ((kind, display.label) for kind, display in _LEDGER_KINDS.items()), key=lambda k: k[1]
    )


def ledger_kind_label(kind: str) -> str:
    display = _LEDGER_KINDS.get(kind)
    return display.label if display else kind


def render_ledger_value(kind: str, value: Any) -> str:
    """The one way a stored ledger value is shown: words, never `False` beside `"OPT_IN"`."""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    display = _LEDGER_KINDS.get(kind)
    if display is not None and isinstance(value, str | bool | None):
        for stored, words in display.values.items():
            # `True == 1`, so compare types too.
            if stored is value or (type(stored) is type(value) and stored == value):
                return words
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def label_ledger_targets(events: Iterable[ConsentEvent]) -> list[ConsentEvent]:
    """Set `target_label` on each event: a name (a preference, a department) where one is known.

    One query per kind present, whatever the number of events.
    """
    events = list(events)
    wanted: dict[tuple[str, int], set[str]] = {}
    for event in events:
        if event.target and _LEDGER_KINDS.get(event.kind, LedgerKindDisplay("")).target_names:
            wanted.setdefault((event.kind, event.organisation_id), set()).add(event.target)
    names = {
        key: _LEDGER_KINDS[key[0]].target_names(key[1], targets) for key, targets in wanted.items()
    }
    for event in events:
        known = names.get((event.kind, event.organisation_id), {})
        event.target_label = known.get(event.target, event.target)
    return events


# The customer page's consent summary -------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    """One thing that decides a send, as it stands now.

    `ledger` is the (kind, target) of the ledger events that set it, so the page can link the
    newest of them.
    """

    section: str
    item: str
    state: str
    since: Any = None
    ledger: tuple[str, str] | None = None
    blocks: bool = False


SummaryProvider = Callable[[Customer], list[SummaryRow]]
_summary_providers: list[SummaryProvider] = []


def attach_customer_summary(provider: SummaryProvider, *, first: bool = False) -> None:
    """Add a provider of summary rows; `first` puts its section at the top of the page."""
    if provider not in _summary_providers:
        if first:
            _summary_providers.insert(0, provider)
        else:
            _summary_providers.append(provider)


def customer_summary(customer: Customer) -> list[dict]:
    """The sections of the customer page's summary, each row with its newest ledger event."""
    rows = [row for provider in _summary_providers for row in provider(customer)]
    keys = {row.ledger for row in rows if row.ledger}
    newest = _newest_events(customer, keys) if keys else {}
    sections: dict[str, list] = {}
    for row in rows:
        sections.setdefault(row.section, []).append(
            {"row": row, "event": newest.get(row.ledger) if row.ledger else None}
        )
    return [{"title": title, "rows": items} for title, items in sections.items()]


def _newest_events(customer: Customer, keys: set[tuple[str, str]]) -> dict:
    """The newest event of each (kind, target), in one query on the customer's ledger index."""
    newest: dict[tuple[str, str], ConsentEvent] = {}
    kinds = {kind for kind, _target in keys}
    events = (
        ConsentEvent.objects.filter(customer=customer, kind__in=kinds)
        .only("id", "kind", "target", "occurred_at", "source")
        .order_by("-occurred_at", "-id")
    )
    for event in events.iterator():
        key = (event.kind, event.target)
        if key in keys and key not in newest:
            newest[key] = event
            if len(newest) == len(keys):
                break
    return newest
