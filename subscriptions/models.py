"""Tables of the subscriptions app (see its issue)."""
