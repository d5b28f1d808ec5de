"""The programme office's use cases: issuer profile, departments, badge classes, awards.

``scope`` says which departments, badge classes and awards a staff member may
see, ``departments`` are the issuer's faculties, ``badge_classes`` is what the
office issues, ``batches`` turns a completers list into offered awards with
their mail 1, ``awards`` acts on one award, ``search`` finds awards across
classes, ``dashboard`` counts them.
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
from wallet.services.issuing.dashboard import (
    PERIODS,
    AwardCounts,
    BarChart,
    Dashboard,
    build_dashboard,
    claims_chart,
)
from wallet.services.issuing.departments import (
    DepartmentSummary,
    create_department,
    find_departments,
    get_department,
    list_departments,
    rename_department,
)
from wallet.services.issuing.errors import IssuingError
from wallet.services.issuing.scope import (
    department_choices,
    staff_awards,
    staff_badge_classes,
    staff_departments,
    visible_award,
    visible_badge_class,
    visible_department,
)
from wallet.services.issuing.search import (
    COUNT_CAP,
    MAX_QUERY,
    SORTS,
    STATES,
    AwardFilter,
    AwardRow,
    AwardSearchPage,
    Cursor,
    badge_class_choices,
    export_awards,
    search_awards,
)

__all__ = [
    "AWARD_NOTICE",
    "COUNT_CAP",
    "LINKEDIN_ID_MAX",
    "MAX_EMAIL",
    "MAX_ISSUER_DESCRIPTION",
    "MAX_NAME",
    "MAX_QUERY",
    "MAX_REASON",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "MAX_TEXT",
    "MAX_URL",
    "PERIODS",
    "SORTS",
    "STATES",
    "AwardCounts",
    "AwardFilter",
    "AwardPage",
    "AwardRow",
    "AwardSearchPage",
    "BadgeClassDetails",
    "BadgeClassSummary",
    "BarChart",
    "Cursor",
    "Dashboard",
    "DepartmentSummary",
    "IssuerDetails",
    "IssuingError",
    "badge_class_choices",
    "build_dashboard",
    "claims_chart",
    "create_badge_class",
    "create_department",
    "department_choices",
    "export_awards",
    "find_departments",
    "get_award",
    "get_badge_class",
    "get_department",
    "get_issuer",
    "issue_awards",
    "list_awards",
    "list_badge_classes",
    "list_batches",
    "list_departments",
    "new_share_ids",
    "parse_tags",
    "preview_completers",
    "rename_department",
    "resend_claim",
    "revoke_award",
    "save_issuer",
    "search_awards",
    "staff_awards",
    "staff_badge_classes",
    "staff_departments",
    "update_badge_class",
    "visible_award",
    "visible_badge_class",
    "visible_department",
]
