"""Finding awards across every badge class: the office's search, its pages and its CSV.

Every query here starts from ``scope.staff_awards``: the one place that says which
awards a staff member may see (an administrator all, department staff their
departments'), so the search and the export show no more than the dashboard.

Pages are keyset pages on (``issued_on``, ``id``) rather than offsets: a page deep in
200,000 awards costs the same as the first (an offset makes the database walk and
drop every row before it), and a page stays put while an upload adds awards above it.
The price is that there is no "page 37 of 400", only newer and older.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy import (
    text as sql,
)
from sqlalchemy.orm import Session, contains_eager

from wallet.db import ID_MAX
from wallet.models import Award, AwardState, BadgeClass, Department, User
from wallet.services.issuing.errors import IssuingError
from wallet.services.issuing.scope import staff_awards, staff_badge_classes

# What the state filter offers. "revoked" is not a state: revocation keeps the state
# the award had, so the others mean "in that state and not revoked".
STATES = (
    AwardState.OFFERED.value,
    AwardState.PENDING.value,
    AwardState.ISSUED.value,
    AwardState.DECLINED.value,
    "revoked",
)
SORTS = ("newest", "oldest")
PER_PAGE = 50
MAX_QUERY = 200
# Counting every match of a broad search costs as much as reading them all: past this
# many the page says "more than 1,000" (the CSV still has them all; the dashboard has
# the exact numbers per badge and state).
COUNT_CAP = 1_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"(-?[0-9]{1,18})\.([0-9]{1,10})", re.ASCII)


@dataclass(frozen=True)
class AwardFilter:
    """What the office typed: every part optional, all of them must hold."""

    text: str = ""  # part of the name, address or student number
    badge_class_id: int | None = None
    department_id: int | None = None  # the awards of its badge classes
    state: str = ""  # one of STATES, or "" for any
    issued_from: date | None = None  # award dates, in the office's time zone
    issued_to: date | None = None
    sort: str = "newest"


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the (issued_on, id) of the award just before it."""

    issued_on: datetime
    award_id: int

    def encode(self) -> str:
        micros = (self.issued_on - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.award_id}"

    @classmethod
    def decode(cls, value: str) -> Cursor:
        """``IssuingError("bad_cursor")`` for anything ``encode`` did not write."""
        match = _CURSOR.fullmatch(value)
        if match is None or int(match[2]) > ID_MAX:
            raise IssuingError("bad_cursor")
        try:
            moment = _EPOCH + timedelta(microseconds=int(match[1]))
        except OverflowError as error:
            raise IssuingError("bad_cursor") from error
        return cls(moment, int(match[2]))


@dataclass(frozen=True)
class AwardSearchPage:
    awards: list[Award]  # with their badge class loaded
    count: int | None  # matches, at most COUNT_CAP + 1; None: not counted (short text)
    previous: Cursor | None  # ``before`` for the page before this one; None on the first
    following: Cursor | None  # ``after`` for the page after this one; None on the last
    cap: int  # the count stopped past this many

    @property
    def count_is_capped(self) -> bool:
        return self.count is not None and self.count > self.cap


def badge_class_choices(session: Session, staff: User) -> list[BadgeClass]:
    """The badge classes to filter by, newest first."""
    return list(session.scalars(staff_badge_classes(session, staff).order_by(BadgeClass.id.desc())))


def _folded(text: str) -> str:
    """Full-width letters and digits as ASCII, lower case: addresses and numbers."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def _uses_trigrams(text: str) -> bool:
    """Whether a search for ``text`` can use the trigram indexes: three characters or
    more (a space between two words counts: "静岡 花子" has trigrams, "鈴木" none)."""
    return len(text) >= 3


def _plan_for_these_values(session: Session) -> None:
    """Have PostgreSQL plan this transaction's searches for the text actually searched.

    psycopg prepares a statement run five times, and PostgreSQL then reuses a generic
    plan made without the values. For ``ILIKE $1`` that plan reads the trigram indexes
    whatever ``$1`` is; for text too short to have trigrams ("鈴木") that means every
    entry of three indexes: about a second on 200,000 awards instead of 50 ms.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sql("SET LOCAL plan_cache_mode = force_custom_plan"))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def check_filter(found: AwardFilter) -> AwardFilter:
    """The filter with its text trimmed; ``IssuingError`` for one that cannot hold."""
    text = unicodedata.normalize("NFC", found.text).strip()
    if len(text) > MAX_QUERY:
        raise IssuingError("query_too_long", field="text", max_len=MAX_QUERY)
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise IssuingError("query_control", field="text")
    if found.state and found.state not in STATES:
        raise IssuingError("bad_state", field="state")
    if found.sort not in SORTS:
        raise IssuingError("bad_sort", field="sort")
    if found.issued_from and found.issued_to and found.issued_from > found.issued_to:
        raise IssuingError("dates_reversed", field="issued_to")
    return AwardFilter(
        text=text,
        badge_class_id=found.badge_class_id,
        department_id=found.department_id,
        state=found.state,
        issued_from=found.issued_from,
        issued_to=found.issued_to,
        sort=found.sort,
    )


def _conditions(found: AwardFilter, timezone: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if found.text:
        folded = _like(_folded(found.text))
        conditions.append(
            or_(
                Award.recipient_name.ilike(_like(found.text), escape="\\"),
                Award.recipient_email.like(folded, escape="\\"),
                Award.student_number.ilike(folded, escape="\\"),
            )
        )
    if found.badge_class_id is not None:
        conditions.append(Award.badge_class_id == found.badge_class_id)
    if found.department_id is not None:
        in_department = select(BadgeClass.id).where(BadgeClass.department_id == found.department_id)
        conditions.append(Award.badge_class_id.in_(in_department))
    if found.state == "revoked":
        conditions.append(Award.revoked_at.is_not(None))
    elif found.state:
        conditions += [Award.state == found.state, Award.revoked_at.is_(None)]
    zone = ZoneInfo(timezone)
    if found.issued_from:
        conditions.append(Award.issued_on >= _day_start(found.issued_from, zone))
    if found.issued_to:
        next_day = found.issued_to + timedelta(days=1)
        conditions.append(Award.issued_on < _day_start(next_day, zone))
    return conditions


def matching_awards(
    session: Session, staff: User, found: AwardFilter, *, timezone: str
) -> Select[Award]:
    """The awards ``staff`` may see that match ``found``, unordered."""
    return staff_awards(session, staff).where(*_conditions(check_filter(found), timezone))


def search_awards(
    session: Session,
    staff: User,
    found: AwardFilter,
    *,
    timezone: str,
    after: str = "",
    before: str = "",
    per_page: int = PER_PAGE,
) -> AwardSearchPage:
    """One page of the awards matching ``found``, in date order, with their badge class.

    ``after`` / ``before`` are cursors from an earlier page (``Cursor.encode``): the
    page after the older end, or before the newer end, of the page they came from.
    """
    found = check_filter(found)
    _plan_for_these_values(session)
    matches = (
        matching_awards(session, staff, found, timezone=timezone)
        .with_only_columns(Award.id, Award.issued_on)
        .cte("matches")
    )
    # PostgreSQL cannot tell how many awards a piece of text matches. Its choice, walking
    # the date index and testing each award, is right when they are many (a page fills
    # soon) and slow when they are few (a rare name: 260 ms on 200,000 awards). The count
    # tells which: up to COUNT_CAP matches are read first from the trigram indexes (a
    # MATERIALIZED CTE: the planner may not fold it back). Text too short for trigrams
    # is not counted, since that would test every award; its page walks the dates.
    read_first = matches.prefix_with("MATERIALIZED", dialect="postgresql")
    count = None
    if not found.text or _uses_trigrams(found.text):
        counted = select(read_first.c.id).limit(COUNT_CAP + 1).subquery()
        count = int(session.scalar(select(func.count()).select_from(counted)) or 0)
    if found.text and count is not None and count <= COUNT_CAP:
        matches = read_first
    newest_first = found.sort == "newest"
    backwards = bool(before) and not after  # reading the rows before ``before``
    cursor = Cursor.decode(before if backwards else after) if (after or before) else None
    # the order the rows are read in: the page's, or its reverse when going backwards
    descending = newest_first != backwards
    page = select(matches.c.id)
    if cursor is not None:
        key = tuple_(matches.c.issued_on, matches.c.id)
        edge = tuple_(literal(cursor.issued_on, Award.issued_on.type), cursor.award_id)
        page = page.where(key < edge if descending else key > edge)
    order = (
        (matches.c.issued_on.desc(), matches.c.id.desc())
        if descending
        else (matches.c.issued_on.asc(), matches.c.id.asc())
    )
    ids = page.order_by(*order).limit(per_page + 1).subquery()
    rows = list(
        session.scalars(
            select(Award)
            .join(ids, ids.c.id == Award.id)
            .join(Award.badge_class)
            .options(contains_eager(Award.badge_class))
            .order_by(
                *(
                    (Award.issued_on.desc(), Award.id.desc())
                    if descending
                    else (Award.issued_on.asc(), Award.id.asc())
                )
            )
        )
    )
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    has_previous = more if backwards else cursor is not None
    has_following = True if backwards else more
    if not rows:
        return AwardSearchPage(awards=[], count=count, previous=None, following=None, cap=COUNT_CAP)
    first, last = rows[0], rows[-1]
    return AwardSearchPage(
        awards=rows,
        count=count,
        previous=Cursor(first.issued_on, first.id) if has_previous else None,
        following=Cursor(last.issued_on, last.id) if has_following else None,
        cap=COUNT_CAP,
    )


@dataclass(frozen=True)
class AwardRow:
    """One award as the CSV export writes it: plain values, times in the office's zone."""

    name: str
    email: str
    student_number: str
    badge_name: str
    department_name: str
    state: str  # one of STATES
    issued_on: datetime
    accepted_at: datetime | None
    issued_at: datetime | None
    revoked_at: datetime | None
    revocation_reason: str
    is_public: bool


def export_awards(
    session: Session, staff: User, found: AwardFilter, *, timezone: str, batch: int = 1000
) -> Iterator[AwardRow]:
    """Every award matching ``found`` in the page's order, read ``batch`` rows at a time.

    The filter is checked at once (``IssuingError``); the rows are read as the
    iterator is consumed, so a caller can stream them.
    """
    found = check_filter(found)
    order = (
        (Award.issued_on.desc(), Award.id.desc())
        if found.sort == "newest"
        else (Award.issued_on.asc(), Award.id.asc())
    )
    query = (
        matching_awards(session, staff, found, timezone=timezone)
        .join(Award.badge_class)
        .join(Department, Department.id == BadgeClass.department_id)
        .with_only_columns(
            Award.recipient_name,
            Award.recipient_email,
            Award.student_number,
            BadgeClass.name,
            Department.name,
            Award.state,
            Award.issued_on,
            Award.accepted_at,
            Award.issued_at,
            Award.revoked_at,
            Award.revocation_reason,
            Award.is_public,
        )
        .order_by(*order)
        .execution_options(yield_per=batch)
    )
    _plan_for_these_values(session)
    return _award_rows(session, query, ZoneInfo(timezone))


def _award_rows(
    session: Session, query: Select[*tuple[Any, ...]], zone: ZoneInfo
) -> Iterator[AwardRow]:
    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(zone) if moment else None

    for row in session.execute(query):
        yield AwardRow(
            name=row[0],
            email=row[1],
            student_number=row[2],
            badge_name=row[3],
            department_name=row[4],
            state="revoked" if row[9] is not None else row[5],
            issued_on=row[6].astimezone(zone),
            accepted_at=local(row[7]),
            issued_at=local(row[8]),
            revoked_at=local(row[9]),
            revocation_reason=row[10],
            is_public=row[11],
        )
