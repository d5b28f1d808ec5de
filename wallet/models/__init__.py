"""SQLAlchemy models. Plain SQLAlchemy 2.0: no Flask here."""

from wallet.models.accounts import EmailAddress, StaffRole, Token, TokenPurpose, User
from wallet.models.anchoring import (
    AnchorBatch,
    AnchoredCredential,
    BatchStatus,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerKey,
)
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
from wallet.models.ob3 import AwardCredential, CredentialKey
from wallet.models.outbox import MailRequest, MailRequestKind, MailStatus, OutboxMail
from wallet.models.sessions import LoginSession

__all__ = [
    "AnchorBatch",
    "AnchoredCredential",
    "AuditEntry",
    "Award",
    "AwardBatch",
    "AwardCredential",
    "AwardState",
    "BadgeClass",
    "BadgeKind",
    "BatchStatus",
    "Blob",
    "CredentialKey",
    "Department",
    "EmailAddress",
    "ImportSource",
    "ImportedBadge",
    "Issuer",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LedgerKey",
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
