"""factory_boy factories bound to the per-test session."""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import UTC, datetime
from typing import Any

import factory
from PIL import Image

from wallet import extensions as ext
from wallet.models import (
    Award,
    AwardState,
    BadgeClass,
    BadgeKind,
    Blob,
    Department,
    EmailAddress,
    ImportedBadge,
    Issuer,
    StaffRole,
    User,
)
from wallet.security import hash_password

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH: dict[str, str] = {}


def password_hash(password: str = PASSWORD) -> str:
    """argon2 is slow on purpose: hash each test password once per run."""
    if password not in _PASSWORD_HASH:
        _PASSWORD_HASH[password] = hash_password(password)
    return _PASSWORD_HASH[password]


def png_bytes(size: int = 64, colour: tuple[int, int, int] = (20, 90, 160)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


class Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: ext.db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"student{n}@shizuoka.ac.jp")
    name = factory.Sequence(lambda n: f"静岡 太郎{n}")
    password_hash = factory.LazyFunction(password_hash)
    locale = "ja"
    activated_at = factory.LazyFunction(lambda: datetime.now(UTC))
    terms_version = "2026-04"
    terms_accepted_at = factory.LazyFunction(lambda: datetime.now(UTC))

    class Params:
        # a university administrator: every department
        staff = factory.Trait(
            staff_role=StaffRole.ADMIN,
            email=factory.Sequence(lambda n: f"office{n}@shizuoka.ac.jp"),
        )
        # department staff: pass ``departments=[...]``
        department_staff = factory.Trait(
            staff_role=StaffRole.DEPARTMENT,
            email=factory.Sequence(lambda n: f"dept{n}@shizuoka.ac.jp"),
        )
        inactive = factory.Trait(activated_at=None)

    @factory.post_generation
    def verified_email(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.emails.append(EmailAddress(email=obj.email, verified_at=datetime.now(UTC)))
            ext.db.session.flush()

    @factory.post_generation
    def departments(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            obj.departments = list(extracted)
            ext.db.session.flush()


class BlobFactory(Base):
    class Meta:
        model = Blob

    # a distinct colour per blob: content-addressed rows must not collide
    data = factory.Sequence(lambda n: png_bytes(colour=(n % 256, (n // 256) % 256, 160)))
    content_type = "image/png"
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.data).hexdigest())


class IssuerFactory(Base):
    class Meta:
        model = Issuer

    public_id = factory.LazyFunction(lambda: secrets.token_hex(8))
    name = "静岡大学"
    name_en = "Shizuoka University"
    url = "https://www.shizuoka.ac.jp/"
    email = "openbadge@shizuoka.ac.jp"


class DepartmentFactory(Base):
    class Meta:
        model = Department

    issuer = factory.SubFactory(IssuerFactory)
    name = factory.Sequence(lambda n: f"工学部{n}")
    name_en = factory.Sequence(lambda n: f"Faculty of Engineering {n}")


class BadgeClassFactory(Base):
    """A badge class in a new department of its issuer, or in ``department=``."""

    class Meta:
        model = BadgeClass

    public_id = factory.LazyFunction(lambda: secrets.token_hex(8))
    issuer = factory.SubFactory(IssuerFactory)
    department = factory.SubFactory(DepartmentFactory, issuer=factory.SelfAttribute("..issuer"))
    name = factory.Sequence(lambda n: f"データサイエンス特別教育プログラム {n}")
    name_en = factory.Sequence(lambda n: f"Data Science Special Programme {n}")
    description = "所定の科目を修了し、データサイエンスの基礎を身につけたことを証明します。"
    description_en = "Certifies completion of the data science programme."
    criteria_text = "プログラムの全科目の単位を修得すること。"
    image_sha256 = factory.LazyAttribute(lambda o: BlobFactory().sha256)
    kind = BadgeKind.HOSTED
    tags = factory.LazyFunction(lambda: ["data-science"])

    class Params:
        anchored = factory.Trait(kind=BadgeKind.ANCHORED)

    @classmethod
    def _adjust_kwargs(cls, **kwargs: Any) -> dict[str, Any]:
        # a department given alone brings its issuer (the one made meanwhile goes unused)
        return {**kwargs, "issuer": kwargs["department"].issuer}


class AwardFactory(Base):
    class Meta:
        model = Award

    public_id = factory.LazyFunction(lambda: secrets.token_urlsafe(24))
    share_id = factory.LazyFunction(lambda: secrets.token_urlsafe(6))
    badge_class = factory.SubFactory(BadgeClassFactory)
    recipient_email = factory.Sequence(lambda n: f"recipient{n}@shizuoka.ac.jp")
    recipient_name = factory.Sequence(lambda n: f"静岡 花子{n}")
    salt = factory.LazyFunction(lambda: secrets.token_hex(16))
    state = AwardState.OFFERED

    class Params:
        issued = factory.Trait(
            state=AwardState.ISSUED, issued_at=factory.LazyFunction(lambda: datetime.now(UTC))
        )


class ImportedBadgeFactory(Base):
    """A badge imported from another issuer, as its import left it (valid, private)."""

    class Meta:
        model = ImportedBadge

    user = factory.SubFactory(UserFactory)
    share_id = factory.LazyFunction(lambda: secrets.token_urlsafe(6))
    assertion_id = factory.Sequence(lambda n: f"https://badges.example.org/assertions/{n}")
    assertion_key = factory.LazyAttribute(
        lambda o: hashlib.sha256(o.assertion_id.encode()).hexdigest()
    )
    source = "url"
    source_url = factory.LazyAttribute(lambda o: o.assertion_id)
    assertion_json = factory.LazyAttribute(lambda o: {"id": o.assertion_id, "type": "Assertion"})
    badge_json = factory.LazyFunction(lambda: {"type": "BadgeClass", "name": "Cloud Foundations"})
    issuer_json = factory.LazyFunction(lambda: {"type": "Issuer", "name": "Example Institute"})
    recipient_email = factory.LazyAttribute(lambda o: o.user.email)
    issuer_name = "Example Institute of Technology"
    issuer_url = "https://badges.example.org/"
    badge_name = "Cloud Foundations"
    description = "Knows the basics of cloud computing."
    criteria_text = "Pass the final exam."
    image_sha256 = factory.LazyAttribute(lambda o: BlobFactory().sha256)
    issued_on = factory.LazyFunction(lambda: datetime.now(UTC))
    status = "valid"
    checks = factory.LazyFunction(
        lambda: [
            {"code": code, "status": "pass", "detail": ""}
            for code in ("issuer", "record", "recipient", "revocation", "expiry", "image")
        ]
    )
    checked_at = factory.LazyFunction(lambda: datetime.now(UTC))
    is_public = False
