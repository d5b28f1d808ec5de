"""Which blockchain anchors our batches, from the settings (none: our log alone)."""

from __future__ import annotations

from datetime import datetime

from wallet.config import Settings
from wallet.services.anchoring.run import Chain


def chain_for(settings: Settings) -> Chain | None:
    return None


def chain_keys(settings: Settings) -> list[tuple[str, datetime]]:
    """The chain addresses the issuer profile lists (with when each began)."""
    return []
