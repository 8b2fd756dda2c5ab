"""Tables of the preferences app (see its issue)."""
