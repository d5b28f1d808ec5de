"""The office's dashboard: how each badge class's awards are doing, and claims over time.

Counted by the database (``COUNT(...) FILTER (WHERE ...)`` grouped by badge class,
and claims grouped into periods by a ``CASE`` over period starts computed here in
the office's time zone), never by loading awards: the page costs a few queries
whether a class has ten awards or a hundred thousand.

The same counts per department (the badge classes' departments) come with one
more ``GROUP BY``. Every query starts from ``scope``: department staff count
their departments' awards only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from wallet.db import utcnow
from wallet.models import Award, AwardState, BadgeClass, Department, User
from wallet.services.issuing.errors import IssuingError
from wallet.services.issuing.scope import staff_awards, staff_badge_classes, staff_departments

PERIODS = ("month", "week")
PERIOD_COUNT = 12


@dataclass(frozen=True)
class AwardCounts:
    """One badge class's awards (or all of them) by where they stand.

    ``offered`` (still waiting), ``pending``, ``issued``, ``declined`` and
    ``revoked`` share ``awarded`` between them; ``accepted`` counts every award a
    student accepted, whatever happened after (revocation included).
    """

    awarded: int = 0
    offered: int = 0
    accepted: int = 0
    pending: int = 0
    issued: int = 0
    declined: int = 0
    revoked: int = 0
    public: int = 0  # pending or issued, not revoked, set public by the student
    reminders: int = 0  # claim reminders sent (services/reminders.py), all awards

    @property
    def held(self) -> int:
        """Badges students hold now: accepted and not revoked."""
        return self.pending + self.issued

    @property
    def claim_rate(self) -> float | None:
        return self.accepted / self.awarded if self.awarded else None

    @property
    def share_rate(self) -> float | None:
        """The public share rate: of the badges students hold, how many are public."""
        return self.public / self.held if self.held else None


@dataclass(frozen=True)
class ClassRow:
    badge_class: BadgeClass
    counts: AwardCounts


@dataclass(frozen=True)
class DepartmentRow:
    department: Department
    counts: AwardCounts


@dataclass(frozen=True)
class Period:
    start: date  # first day, in the office's time zone
    claims: int


@dataclass(frozen=True)
class Dashboard:
    rows: list[ClassRow]  # every badge class the staff member sees, newest first
    departments: list[DepartmentRow]  # every department they see, in the order made
    total: AwardCounts
    period: str  # "month" or "week"
    periods: list[Period]  # oldest first, the current one last


def _count_columns() -> list[ColumnElement[int]]:
    """One count per ``AwardCounts`` field, in its order."""
    live = Award.revoked_at.is_(None)

    def count(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
        return func.count(Award.id).filter(and_(*conditions))

    return [
        func.count(Award.id),
        count(live, Award.state == AwardState.OFFERED),
        count(Award.accepted_at.is_not(None)),
        count(live, Award.state == AwardState.PENDING),
        count(live, Award.state == AwardState.ISSUED),
        count(live, Award.state == AwardState.DECLINED),
        count(Award.revoked_at.is_not(None)),
        count(
            live,
            Award.is_public.is_(True),
            Award.state.in_([AwardState.PENDING, AwardState.ISSUED]),
        ),
        func.coalesce(func.sum(Award.reminders_sent), 0),
    ]


def _counts(values: Sequence[int | None]) -> AwardCounts:
    return AwardCounts(*(int(v or 0) for v in values))


def period_starts(period: str, today: date, count: int = PERIOD_COUNT) -> list[date]:
    """The first days of the last ``count`` months (or Monday-weeks) up to ``today``'s,
    then the first day of the next one: ``count + 1`` boundaries, oldest first."""
    if period == "week":
        this = today - timedelta(days=today.weekday())
        return [this - timedelta(weeks=count - 1 - i) for i in range(count + 1)]
    months = today.year * 12 + today.month - 1
    return [date((m := months - (count - 1) + i) // 12, m % 12 + 1, 1) for i in range(count + 1)]


def _claims(session: Session, staff: User, starts: list[date], zone: ZoneInfo) -> list[Period]:
    moments = [datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC) for day in starts]
    bucket = case(
        *((Award.accepted_at >= moments[i], i) for i in reversed(range(len(moments) - 1)))
    ).label("bucket")
    inner = (
        staff_awards(session, staff)
        .with_only_columns(bucket)
        .where(Award.accepted_at >= moments[0], Award.accepted_at < moments[-1])
        .subquery()
    )
    rows = session.execute(select(inner.c.bucket, func.count()).group_by(inner.c.bucket)).all()
    claims = {int(index): int(count) for index, count in rows}
    return [Period(start, claims.get(i, 0)) for i, start in enumerate(starts[:-1])]


def build_dashboard(
    session: Session,
    staff: User,
    *,
    period: str = "month",
    timezone: str,
    now: datetime | None = None,
) -> Dashboard:
    """Counts per badge class and in total, and claims per month or week."""
    if period not in PERIODS:
        raise IssuingError("bad_period", field="period")
    zone = ZoneInfo(timezone)
    today = (now or utcnow()).astimezone(zone).date()
    awards = staff_awards(session, staff)
    per_class = awards.with_only_columns(Award.badge_class_id, *_count_columns()).group_by(
        Award.badge_class_id
    )
    by_class = {row[0]: _counts(row[1:]) for row in session.execute(per_class)}
    per_department = (
        awards.join(BadgeClass, BadgeClass.id == Award.badge_class_id)
        .with_only_columns(BadgeClass.department_id, *_count_columns())
        .group_by(BadgeClass.department_id)
    )
    by_department = {row[0]: _counts(row[1:]) for row in session.execute(per_department)}
    total = _counts(session.execute(awards.with_only_columns(*_count_columns())).one())
    classes = session.scalars(staff_badge_classes(session, staff).order_by(BadgeClass.id.desc()))
    departments = session.scalars(staff_departments(session, staff).order_by(Department.id))
    return Dashboard(
        rows=[ClassRow(badge, by_class.get(badge.id, AwardCounts())) for badge in classes],
        departments=[DepartmentRow(d, by_department.get(d.id, AwardCounts())) for d in departments],
        total=total,
        period=period,
        periods=_claims(session, staff, period_starts(period, today), zone),
    )


# -- the chart: geometry here, the SVG elements in templates/admin/_claims_chart.html --

CHART_WIDTH = 480
CHART_HEIGHT = 220
_TOP = 26  # room for the numbers above the bars
_BOTTOM = 30  # room for the period labels


@dataclass(frozen=True)
class Bar:
    period: Period
    x: float  # left edge
    y: float  # top edge
    width: float
    height: float
    centre: float  # where the labels go


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    baseline: float  # the y of the axis
    label_y: float  # the y of the period labels


def claims_chart(periods: list[Period]) -> BarChart:
    """Bars for claims per period, in a ``CHART_WIDTH`` x ``CHART_HEIGHT`` view box."""
    baseline = CHART_HEIGHT - _BOTTOM
    tallest = max((p.claims for p in periods), default=0) or 1
    slot = CHART_WIDTH / max(1, len(periods))
    bars = []
    for i, period in enumerate(periods):
        height = (baseline - _TOP) * period.claims / tallest
        bars.append(
            Bar(
                period=period,
                x=round(i * slot + slot * 0.15, 1),
                y=round(baseline - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                centre=round(i * slot + slot / 2, 1),
            )
        )
    return BarChart(
        bars=bars,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        baseline=baseline,
        label_y=CHART_HEIGHT - 9,
    )
