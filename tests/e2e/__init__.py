"""End-to-end suite: the whole system over HTTP with real processes."""
