"""Tables of the emaillogs app (see its issue)."""
