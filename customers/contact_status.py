"""The email status of contacts ("Subscribed", "Unsubscribed", "HardBounced", …) as v2 shows it.

The status is owned by the subscriptions app (suppression list), but other apps' answers embed it
(the preferences app's opt-ins-since list, say). They ask here; subscriptions registers the one
provider in its AppConfig.ready(). Without a provider every contact is "Subscribed".
"""

from collections.abc import Callable, Sequence

SUBSCRIBED = "Subscribed"

# customers → {customer id: status}; one query whatever the number of customers.
StatusProvider = Callable[[Sequence], dict[int, str]]
_provider: StatusProvider | None = None


def register_status_provider(provider: StatusProvider) -> None:
    global _provider
    _provider = provider


def statuses_of(customers: Sequence) -> dict[int, str]:
    """The status of each customer, by id, in a constant number of queries."""
    if not customers:
        return {}
    found = _provider(customers) if _provider is not None else {}
    return {customer.pk: found.get(customer.pk, SUBSCRIBED) for customer in customers}
