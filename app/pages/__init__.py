"""The web edge: hand-written pages and the base screen and API."""
