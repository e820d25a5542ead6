"""Domain exceptions. Domain functions raise them; views and APIs map them to Thai messages."""


class LecError(Exception):
    """Base of every refusal a user should read."""


class Invalid(LecError, ValueError):
    """Bad input. ``errors`` maps a field name to its Thai message."""

    def __init__(self, errors):
        self.errors = dict(errors)
        super().__init__("; ".join(str(m) for m in self.errors.values()))


class Conflict(LecError):
    """The write clashes with stored data: a duplicate code, or rows that still refer to it."""


class OutOfScope(LecError):
    """The row belongs to an organisation outside the user's subtree."""
