"""The programme office's use cases: issuer profile, badge classes, awards.

``badge_classes`` is what the office issues, ``batches`` turns a completers
list into offered awards with their mail 1, ``awards`` acts on one award.
Everything public is importable from here as ``issuing.<name>``.
"""

from __future__ import annotations

from wallet.services.issuing.awards import (
    MAX_REASON,
    AwardPage,
    get_award,
    list_awards,
    resend_claim,
    revoke_award,
)
from wallet.services.issuing.badge_classes import (
    LINKEDIN_ID_MAX,
    MAX_EMAIL,
    MAX_ISSUER_DESCRIPTION,
    MAX_NAME,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TEXT,
    MAX_URL,
    BadgeClassDetails,
    BadgeClassSummary,
    IssuerDetails,
    create_badge_class,
    get_badge_class,
    get_issuer,
    list_badge_classes,
    parse_tags,
    save_issuer,
    update_badge_class,
)
from wallet.services.issuing.batches import (
    AWARD_NOTICE,
    issue_awards,
    list_batches,
    new_share_ids,
    preview_completers,
)
from wallet.services.issuing.errors import IssuingError

__all__ = [
    "AWARD_NOTICE",
    "LINKEDIN_ID_MAX",
    "MAX_EMAIL",
    "MAX_ISSUER_DESCRIPTION",
    "MAX_NAME",
    "MAX_REASON",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "MAX_TEXT",
    "MAX_URL",
    "AwardPage",
    "BadgeClassDetails",
    "BadgeClassSummary",
    "IssuerDetails",
    "IssuingError",
    "create_badge_class",
    "get_award",
    "get_badge_class",
    "get_issuer",
    "issue_awards",
    "list_awards",
    "list_badge_classes",
    "list_batches",
    "new_share_ids",
    "parse_tags",
    "preview_completers",
    "resend_claim",
    "revoke_award",
    "save_issuer",
    "update_badge_class",
]
