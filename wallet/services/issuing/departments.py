"""The issuer's departments (学部・研究科等): created and renamed by administrators.

A department is where a badge class belongs and what a department staff member
works for (``scope``). Departments are not deleted: badge classes and the
audit log keep pointing at them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet.db import ID_MAX
from wallet.models import BadgeClass, Department, User, staff_department
from wallet.services import audit
from wallet.services.errors import NotFoundError
from wallet.services.issuing.badge_classes import MAX_NAME, get_issuer
from wallet.services.issuing.errors import IssuingError
from wallet.services.text import clean_text


@dataclass(frozen=True)
class DepartmentSummary:
    department: Department
    badge_classes: int
    staff: int


def get_department(session: Session, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None:
        raise NotFoundError()
    return department


def list_departments(session: Session) -> list[DepartmentSummary]:
    """Every department in the order they were made, with how many badges and staff."""
    classes = {
        department_id: int(count)
        for department_id, count in session.execute(
            select(BadgeClass.department_id, func.count()).group_by(BadgeClass.department_id)
        )
    }
    staff = {
        department_id: int(count)
        for department_id, count in session.execute(
            select(staff_department.c.department_id, func.count())
            .join(User, User.id == staff_department.c.user_id)
            .where(User.deactivated_at.is_(None))
            .group_by(staff_department.c.department_id)
        )
    }
    return [
        DepartmentSummary(d, classes.get(d.id, 0), staff.get(d.id, 0))
        for d in session.scalars(select(Department).order_by(Department.id))
    ]


def _check_names(
    session: Session, name: str, name_en: str, *, issuer_id: int, other_than: int | None
) -> tuple[str, str]:
    """Both names cleaned; ``IssuingError`` when one is missing or another department's."""
    name = clean_text(name, field="name", max_len=MAX_NAME)
    name_en = clean_text(name_en, field="name_en", max_len=MAX_NAME)
    if not name:
        raise IssuingError("department_name_missing", field="name")
    others = select(Department).where(Department.issuer_id == issuer_id)
    if other_than is not None:
        others = others.where(Department.id != other_than)
    if session.scalar(others.where(Department.name == name).limit(1)) is not None:
        raise IssuingError("department_exists", field="name", name=name)
    english = others.where(func.lower(Department.name_en) == name_en.lower())
    if name_en and session.scalar(english.limit(1)) is not None:
        raise IssuingError("department_exists", field="name_en", name=name_en)
    return name, name_en


def create_department(
    session: Session, name: str, name_en: str = "", *, actor: User | None = None
) -> Department:
    """A new department of the issuer; ``IssuingError`` for a name that is missing,
    too long, hidden-character or another department's. With ``actor`` it goes in
    the audit log."""
    issuer = get_issuer(session)
    if issuer is None:
        raise IssuingError("no_issuer")
    name, name_en = _check_names(session, name, name_en, issuer_id=issuer.id, other_than=None)
    department = Department(issuer_id=issuer.id, name=name, name_en=name_en)
    session.add(department)
    session.flush()
    if actor is not None:
        audit.record(
            session, actor, "department.create", department, {"name": name, "name_en": name_en}
        )
    return department


def rename_department(
    session: Session, department_id: int, name: str, name_en: str, *, actor: User | None = None
) -> Department:
    """New Japanese and English names; with ``actor`` the old and new go in the audit log."""
    department = get_department(session, department_id)
    name, name_en = _check_names(
        session, name, name_en, issuer_id=department.issuer_id, other_than=department.id
    )
    before = {"name": department.name, "name_en": department.name_en}
    department.name, department.name_en = name, name_en
    session.flush()
    after = {"name": name, "name_en": name_en}
    if actor is not None and before != after:
        audit.record(
            session, actor, "department.rename", department, {"before": before, "after": after}
        )
    return department


def find_departments(session: Session, references: Iterable[str]) -> list[Department]:
    """The departments named by id, Japanese or English name (the command line's
    ``--department``), in the order given, without repeats.

    ``IssuingError("department_unknown", reference=...)`` for one that names none,
    ``"department_ambiguous"`` for one that names several.
    """
    found: list[Department] = []
    for reference in references:
        text = reference.strip()
        query = select(Department)
        if text.isascii() and text.isdigit():
            # beyond the id column (PostgreSQL's integer) no department can have it
            query = query.where(Department.id == (int(text) if int(text) <= ID_MAX else 0))
        else:
            query = query.where(
                (Department.name == text) | (func.lower(Department.name_en) == text.lower())
            )
        matches = list(session.scalars(query.limit(2)))
        if not matches:
            raise IssuingError("department_unknown", field="departments", reference=reference)
        if len(matches) > 1:
            raise IssuingError("department_ambiguous", field="departments", reference=reference)
        if matches[0] not in found:
            found.append(matches[0])
    return found
