"""The web edge: hand-written pages, the base screen and API, and how refusals answer."""
