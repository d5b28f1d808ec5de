"""An issued award's Open Badges 3.0 credential as a file: the JSON (Data Integrity proof),
the VC-JWT, or the badge image with the credential baked in (PNG iTXt
`openbadgecredential`, SVG `<openbadges:credential>`), next to the 2.0 downloads.

Only issued, unrevoked awards have one to download (a pending anchored badge gets its
credential when the daily run completes it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from wallet.config import Settings
from wallet.models import Award
from wallet.openbadges.ob3 import baking
from wallet.services import badge_tools
from wallet.services.badge_tools import BAKED_TYPES, BakedBadge, file_stem
from wallet.services.errors import NotFoundError
from wallet.services.ob3.issuing import credential_for

MEDIA_TYPES = {"json": "application/vc+ld+json", "jwt": "text/plain", **BAKED_TYPES}


def download(
    session: Session, settings: Settings, award: Award, fmt: str, now: datetime
) -> BakedBadge:
    """The file; ``NotFoundError`` for a format the award has no 3.0 credential in."""
    if fmt not in badge_tools.ob3_formats(session, award):
        raise NotFoundError()
    credential = credential_for(session, settings, award, now)
    stem = file_stem(award.badge_class.name) + ".ob3"
    if fmt == "json":
        data = credential.document.encode("utf-8")
    elif fmt == "jwt":
        data = credential.jwt.encode("ascii")
    else:
        image = badge_tools.badge_image(session, award, fmt)
        data = baking.bake(image, credential.document)
    return BakedBadge(data=data, content_type=MEDIA_TYPES[fmt], filename=f"{stem}.{fmt}")
