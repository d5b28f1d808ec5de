"""Which departments, badge classes and awards a staff member may see.

The one place that says it: every list, search, export, dashboard and lookup of
the programme office starts from these queries, so a department scope narrows
them all alike. Administrators see everything; department staff the badge
classes of their departments and those classes' awards; anyone else nothing.

A lookup by id outside the scope is ``NotFoundError``, exactly like an id that
does not exist: a department need not learn what other departments hold.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from wallet.models import Award, BadgeClass, Department, StaffRole, User, staff_department
from wallet.services.errors import NotFoundError


def _their_departments(staff: User) -> Select[int]:
    """The ids of the departments ``staff`` works for, read when the query runs."""
    return select(staff_department.c.department_id).where(staff_department.c.user_id == staff.id)


def _department_condition(staff: User, column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """Whether the department in ``column`` is one ``staff`` may see."""
    if staff.staff_role == StaffRole.ADMIN:
        return true()
    if staff.staff_role == StaffRole.DEPARTMENT:
        return column.in_(_their_departments(staff))
    return false()


def staff_departments(session: Session, staff: User) -> Select[Department]:
    """The departments ``staff`` may see, as a query to narrow or order further."""
    return select(Department).where(_department_condition(staff, Department.id))


def staff_badge_classes(session: Session, staff: User) -> Select[BadgeClass]:
    """The badge classes ``staff`` may see: those of their departments."""
    return select(BadgeClass).where(_department_condition(staff, BadgeClass.department_id))


def staff_awards(session: Session, staff: User) -> Select[Award]:
    """The awards ``staff`` may see (their badge classes' awards), as a query to narrow."""
    if staff.staff_role == StaffRole.ADMIN:
        return select(Award)
    classes = staff_badge_classes(session, staff).with_only_columns(BadgeClass.id)
    return select(Award).where(Award.badge_class_id.in_(classes))


def department_choices(session: Session, staff: User) -> list[Department]:
    """The departments ``staff`` may put a badge class in, in the order they were made."""
    return list(session.scalars(staff_departments(session, staff).order_by(Department.id)))


def visible_department(session: Session, staff: User, department_id: int) -> Department:
    """One department ``staff`` may see; ``NotFoundError`` otherwise."""
    found = session.scalar(staff_departments(session, staff).where(Department.id == department_id))
    if found is None:
        raise NotFoundError()
    return found


def visible_badge_class(session: Session, staff: User, badge_class_id: int) -> BadgeClass:
    """One badge class ``staff`` may see; ``NotFoundError`` otherwise."""
    found = session.scalar(
        staff_badge_classes(session, staff).where(BadgeClass.id == badge_class_id)
    )
    if found is None:
        raise NotFoundError()
    return found


def visible_award(session: Session, staff: User, award_id: int) -> Award:
    """One award ``staff`` may see; ``NotFoundError`` otherwise."""
    found = session.scalar(staff_awards(session, staff).where(Award.id == award_id))
    if found is None:
        raise NotFoundError()
    return found
