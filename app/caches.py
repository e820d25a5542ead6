"""What a process keeps for a while instead of reading it on every request: a role set's
permissions and menu, the signed-in user, an organisation's search form, a reader's unread count.
Each cache is a dict its owner clears when a change in this process makes it stale; the time it
is kept bounds how late a change made by another process is seen."""

import time


def kept_for(store, key, seconds, make, limit=None):
    """``store[key]``, made by ``make()`` when it is missing or older than ``seconds``; a store
    holding ``limit`` entries starts again empty."""
    expires, value = store.get(key, (0, None))
    if expires < time.monotonic():
        value = make()
        if limit is not None and len(store) >= limit:
            store.clear()
        store[key] = (time.monotonic() + seconds, value)
    return value
