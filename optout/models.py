"""Tables of the optout app (see its issue)."""
