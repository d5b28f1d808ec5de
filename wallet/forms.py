"""Flask-WTF forms: shape and format checks only, no database access."""

from __future__ import annotations
