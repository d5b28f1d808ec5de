"""Demo data for development: an issuer with two departments, a badge in each, an
administrator's login and a department staff login per department, three awards, and
a student login whose hosted badge is accepted and public, so its share page and the
student's public profile can be opened at once.

Idempotent: running it again finds what exists and adds nothing twice.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet import urls
from wallet.db import utcnow
from wallet.models import Award, BadgeClass, BadgeKind, Department, StaffRole, User
from wallet.security import hash_password
from wallet.services import badges, issuing, sharing
from wallet.services.accounts import attach_email, find_user_by_email
from wallet.services.claims import TERMS_VERSION
from wallet.services.csv_import import CompleterRow
from wallet.services.staff import StaffAccess, create_staff_user

FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
STAFF_EMAIL = "office@demo.shizuoka.ac.jp"
STAFF_NAME = "プログラム担当 事務局"
# (Japanese name, English name, its staff member's login and name); BADGES[i] is in the i-th
DEPARTMENTS = [
    ("工学部", "Faculty of Engineering", "kogaku@demo.shizuoka.ac.jp", "工学部 学務係"),
    ("教育学部", "Faculty of Education", "kyoiku@demo.shizuoka.ac.jp", "教育学部 学務係"),
]
MAX_IMAGE = 2 * 1024 * 1024
STUDENTS = [
    ("静岡 花子", "hanako@demo.shizuoka.ac.jp", "70310001", "ja"),
    ("浜松 次郎", "jiro@demo.shizuoka.ac.jp", "70310002", "ja"),
    ("Emily Clark", "emily@demo.shizuoka.ac.jp", "70310003", "en"),
]


# the student who has already accepted her hosted badge (public) and shows her profile
DEMO_STUDENT = STUDENTS[0]


@dataclass(frozen=True)
class DemoDepartment:
    name: str
    name_en: str
    staff_email: str  # its department staff member's login


@dataclass(frozen=True)
class DemoData:
    staff_email: str  # the administrator's login
    staff_created: bool
    departments: list[DemoDepartment]
    badge_ids: list[int]
    awards_created: int
    student_email: str
    student_created: bool
    share_url: str
    profile_url: str  # empty while her profile is off


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if FONT.exists():
        return ImageFont.truetype(str(FONT), size)
    return ImageFont.load_default(size)


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str, size: int, fill: str) -> None:
    font = _font(size)
    left, _top, right, _bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((400 - (right - left)) / 2, y), text, font=font, fill=fill)


def draw_badge(title: str, subtitle: str, colour: str, accent: str) -> bytes:
    """A round seal with ribbon tails: a 400 x 400 PNG with Japanese texts."""
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    # two ribbon tails with notched ends, behind the seal
    draw.polygon([(125, 270), (195, 300), (175, 398), (150, 375), (118, 392)], fill=accent)
    draw.polygon([(275, 270), (205, 300), (225, 398), (250, 375), (282, 392)], fill=accent)
    points = [
        (
            200 + (180 if i % 2 == 0 else 168) * math.cos(math.pi * i / 16),
            190 + (180 if i % 2 == 0 else 168) * math.sin(math.pi * i / 16),
        )
        for i in range(32)
    ]
    draw.polygon(points, fill=colour)
    draw.ellipse((45, 35, 355, 345), fill="white")
    draw.ellipse((58, 48, 342, 332), fill=colour)
    _centred(draw, 95, "静岡大学", 30, "white")
    _centred(draw, 160, title, 44, "white")
    _centred(draw, 235, subtitle, 22, "white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def draw_logo() -> bytes:
    image = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 239, 239), radius=40, fill="#0f2a4a")
    font = _font(120)
    left, top, right, bottom = draw.textbbox((0, 0), "静", font=font)
    draw.text(
        ((240 - (right - left)) / 2 - left, (240 - (bottom - top)) / 2 - top),
        "静",
        font=font,
        fill="white",
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


BADGES = [
    issuing.BadgeClassDetails(
        name="データサイエンス特別教育プログラム",
        name_en="Data Science Special Programme",
        description="データサイエンスの基礎となる統計・プログラミング・倫理の科目を修了したことを証明します。",
        description_en="Certifies completion of the courses in statistics, programming and "
        "ethics that form the basis of data science.",
        criteria_text="プログラム指定の全科目（8 単位）の単位を修得すること。",
        criteria_url="https://www.shizuoka.ac.jp/",
        kind=BadgeKind.HOSTED,
        tags=["データサイエンス", "data science"],
    ),
    issuing.BadgeClassDetails(
        name="地域創造学環 フィールドワーク修了",
        name_en="Regional Fieldwork Completed",
        description="静岡県内の地域課題に取り組むフィールドワークを修了したことを証明します。",
        description_en="Certifies completion of fieldwork on regional issues in Shizuoka.",
        criteria_text="フィールドワーク科目を修了し、成果報告会で発表すること。",
        kind=BadgeKind.ANCHORED,
        valid_days=365 * 5,
        tags=["フィールドワーク", "fieldwork"],
    ),
]
_IMAGES = [
    ("データ", "サイエンス", "#0b57a4", "#e0a100"),
    ("地域", "フィールドワーク", "#2e7d32", "#c62828"),
]


def load_demo_data(
    session: Session,
    *,
    base_url: str,
    claim_lifetime: timedelta,
    staff_password: str,
    department_staff_password: str,
    student_password: str,
    timezone: str = "Asia/Tokyo",
) -> DemoData:
    """Create what is missing of the demo set; return the logins and addresses to print."""
    if issuing.get_issuer(session) is None:
        issuing.save_issuer(
            session,
            issuing.IssuerDetails(
                name="静岡大学",
                name_en="Shizuoka University",
                url="https://www.shizuoka.ac.jp/",
                email="openbadge@demo.shizuoka.ac.jp",
                description="国立大学法人 静岡大学",
                # the demo students' addresses: the wallet asks them for a personal one
                mail_domains="demo.shizuoka.ac.jp",
            ),
            logo=draw_logo(),
            max_image_bytes=MAX_IMAGE,
        )
    departments = [_department(session, name, name_en) for name, name_en, *_ in DEPARTMENTS]
    badge_ids = []
    for details, department, (title, subtitle, colour, accent) in zip(
        BADGES, departments, _IMAGES, strict=True
    ):
        badge = session.scalar(select(BadgeClass).where(BadgeClass.name == details.name))
        if badge is None:
            badge = issuing.create_badge_class(
                session,
                details,
                department_id=department.id,
                image=draw_badge(title, subtitle, colour, accent),
                max_image_bytes=MAX_IMAGE,
            )
        badge.department_id = department.id  # a demo badge from before departments moves too
        badge_ids.append(badge.id)
    staff: User | None = find_user_by_email(session, STAFF_EMAIL)
    staff_created = staff is None
    if staff is None:
        staff = create_staff_user(
            session,
            STAFF_EMAIL,
            STAFF_NAME,
            staff_password,
            access=StaffAccess(StaffRole.ADMIN),
            check_policy=False,
        )
    for department, (_name, _name_en, email, name) in zip(departments, DEPARTMENTS, strict=True):
        if find_user_by_email(session, email) is None:
            create_staff_user(
                session,
                email,
                name,
                department_staff_password,
                access=StaffAccess(StaffRole.DEPARTMENT, (department.id,)),
                check_policy=False,
            )
    created = 0
    # the demo student has both: the hosted one public, the anchored one pending until
    # the daily anchoring run (the programme office's development button runs it now)
    plan = [(badge_ids[0], STUDENTS[:2]), (badge_ids[1], [DEMO_STUDENT, *STUDENTS[2:]])]
    for badge_id, students in plan:
        rows = [
            CompleterRow(line=i, name=name, email=email, student_number=number, locale=locale)
            for i, (name, email, number, locale) in enumerate(students, start=1)
        ]
        batch = issuing.issue_awards(
            session,
            badge_id,
            rows,
            base_url=base_url,
            claim_lifetime=claim_lifetime,
            created_by_id=staff.id,
            filename="demo.csv",
            timezone=timezone,
        )
        created += batch.created_count
    student, student_created = _demo_student(session, student_password, utcnow())
    award = _accepted_public_badge(session, student, badge_ids[0], base_url, utcnow())
    _accepted_public_badge(session, student, badge_ids[1], base_url, utcnow())
    if student_created:
        sharing.set_profile_public(session, student, True)
    profile_id = student.profile_id if student.is_profile_public else None
    return DemoData(
        staff_email=STAFF_EMAIL,
        staff_created=staff_created,
        departments=[
            DemoDepartment(name, name_en, email) for name, name_en, email, _ in DEPARTMENTS
        ],
        badge_ids=badge_ids,
        awards_created=created,
        student_email=student.email,
        student_created=student_created,
        share_url=urls.share(base_url, award.share_id),
        profile_url=urls.profile(base_url, profile_id) if profile_id else "",
    )


def _department(session: Session, name: str, name_en: str) -> Department:
    """The issuer's department of this name, made if missing."""
    found = session.scalar(select(Department).where(Department.name == name))
    return found or issuing.create_department(session, name, name_en)


def _demo_student(session: Session, password: str, now: datetime) -> tuple[User, bool]:
    """The demo student's activated account (as if she had registered through mail 1)."""
    name, email, _number, locale = DEMO_STUDENT
    student = find_user_by_email(session, email)
    if student is not None:
        return student, False
    student = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        locale=locale,
        terms_version=TERMS_VERSION,
        terms_accepted_at=now,
        activated_at=now,
        created_at=now,
    )
    session.add(student)
    session.flush()
    attach_email(session, student, email, now)
    return student, True


def _accepted_public_badge(
    session: Session, student: User, badge_id: int, base_url: str, now: datetime
) -> Award:
    """Her award of the badge, accepted and public (hosted: issued, mail 2 queued;
    anchored: pending until the daily anchoring run)."""
    award = session.scalars(
        select(Award).where(
            Award.badge_class_id == badge_id, Award.recipient_email == student.email
        )
    ).one()  # issued just before
    if award.is_offered:
        award = badges.accept_award(session, student, award.id, base_url, now, public=True)
    return award
