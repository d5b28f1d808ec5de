"""SQLAlchemy models. Plain SQLAlchemy 2.0: no Flask here."""

from wallet.models.accounts import EmailAddress, StaffRole, Token, TokenPurpose, User
from wallet.models.audit import AuditEntry
from wallet.models.blobs import Blob, RenderedImage
from wallet.models.importing import ImportedBadge, ImportSource
from wallet.models.issuing import (
    Award,
    AwardBatch,
    AwardState,
    BadgeClass,
    BadgeKind,
    Department,
    Issuer,
    staff_department,
)
from wallet.models.outbox import MailRequest, MailRequestKind, MailStatus, OutboxMail
from wallet.models.sessions import LoginSession

__all__ = [
    "AuditEntry",
    "Award",
    "AwardBatch",
    "AwardState",
    "BadgeClass",
    "BadgeKind",
    "Blob",
    "Department",
    "EmailAddress",
    "ImportSource",
    "ImportedBadge",
    "Issuer",
    "LoginSession",
    "MailRequest",
    "MailRequestKind",
    "MailStatus",
    "OutboxMail",
    "RenderedImage",
    "StaffRole",
    "Token",
    "TokenPurpose",
    "User",
    "staff_department",
]
