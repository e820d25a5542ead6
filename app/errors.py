"""Domain exceptions, one family. Domain functions raise them; the web edge maps each to an answer
in one place (app/pages/errors.py), the command line prints them."""


class LecError(Exception):
    """Base of every refusal a user should read."""


class Invalid(LecError, ValueError):
    """Bad input. ``errors`` maps a field name to its Thai message."""

    def __init__(self, errors):
        self.errors = dict(errors)
        super().__init__("; ".join(str(m) for m in self.errors.values()))


class Conflict(LecError):
    """The write clashes with stored data: a duplicate code, or rows that still refer to it."""


class AlreadyImported(Conflict):
    """The upload was committed before: importing it twice would only repeat the history."""


class OutOfScope(LecError):
    """The row belongs to an organisation outside the user's subtree."""


class Refused(LecError):
    """A transition that the rules do not allow now; ``reasons`` lists why, in Thai."""

    def __init__(self, reasons):
        self.reasons = list(reasons)
        super().__init__(" ".join(self.reasons))


class Locked(LecError):
    """A write to data that its organisation has confirmed, or outside its entry window."""


class AppendOnly(LecError):
    """Something tried to change or delete a row of a table that is only ever added to."""


class HistoryIsAppendOnly(AppendOnly):
    """Something tried to change or delete a row of the change history."""


class UnusableCode(LecError):
    """Unknown, spent, revoked or expired: the activation page says the same for each."""


class UnknownGrants(LecError):
    """Roles declare permissions that no view, API or menu entry has: (verb, resource) pairs."""

    def __init__(self, pairs):
        self.pairs = pairs
        super().__init__("declared grants that name no permission: " + ", ".join("%s on %s" % p for p in pairs))


class AlreadyGenerated(LecError):
    """The database holds generated data already: a second run would mix two countries."""


class ReadOnlyReplica(LecError):
    """A write on a page that reads the reports' replica (app/replica.py): the replica refuses it,
    so nothing is written there, and nothing is written to the primary behind the reader's back."""
