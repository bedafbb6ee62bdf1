"""Contract suite: the spec against the Prism mock (and, in live mode, against a real service)."""
