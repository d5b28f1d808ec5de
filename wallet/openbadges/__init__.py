"""Open Badges 2.0 as a pure library: no Flask, no SQLAlchemy, no network of its own."""
