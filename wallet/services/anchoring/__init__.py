"""Anchored badges: the nightly run, our transparency log, the chain, and their checks."""
