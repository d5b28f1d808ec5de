"""Anchoring a night's batch root: where it is published, and reading it back."""
