"""``flask`` commands: demo data, staff accounts, maintenance."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the wallet's commands on ``app.cli``."""
