"""The wallet's lists: newest first, and when a pending badge should be complete."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from wallet.models import AwardState
from wallet.services import badges

TOKYO = "Asia/Tokyo"


@pytest.mark.parametrize(
    ("accepted_at", "expected"),
    [
        # 10:00 in Tokyo on 1 April: the run at 03:00 on 2 April
        (datetime(2026, 4, 1, 1, 0, tzinfo=UTC), date(2026, 4, 2)),
        # 23:30 UTC on 31 March is 08:30 on 1 April in Tokyo: still 2 April
        (datetime(2026, 3, 31, 23, 30, tzinfo=UTC), date(2026, 4, 2)),
        # 02:59 in Tokyo: that very morning's run takes it
        (datetime(2026, 3, 31, 17, 59, tzinfo=UTC), date(2026, 4, 1)),
        # 03:00 in Tokyo: the run has started without it
        (datetime(2026, 3, 31, 18, 0, tzinfo=UTC), date(2026, 4, 2)),
    ],
)
def test_pending_badges_complete_at_the_next_daily_run(
    db_session: Session, accepted_at: datetime, expected: date
) -> None:
    owner = UserFactory()
    award = AwardFactory(
        state=AwardState.PENDING,
        user=owner,
        accepted_at=accepted_at,
        badge_class=BadgeClassFactory(anchored=True),
    )
    assert badges.completes_on(award, TOKYO) == expected
    contents = badges.wallet_contents(db_session, owner, TOKYO)
    assert contents.completes_on == {award.id: expected}


def test_only_live_pending_badges_have_a_completion_date(db_session: Session) -> None:
    owner = UserFactory()
    issued = AwardFactory(issued=True, user=owner, accepted_at=datetime.now(UTC))
    offered = AwardFactory(recipient_email=owner.email)
    revoked = AwardFactory(
        state=AwardState.PENDING,
        user=owner,
        accepted_at=datetime.now(UTC),
        revoked_at=datetime.now(UTC),
    )
    for award in (issued, offered, revoked):
        assert badges.completes_on(award, TOKYO) is None


def test_each_section_lists_newest_first(db_session: Session) -> None:
    owner = UserFactory()
    now = datetime.now(UTC)

    def issued(days_ago: int) -> object:
        return AwardFactory(issued=True, user=owner, issued_on=now - timedelta(days=days_ago))

    middle, newest, oldest = issued(5), issued(1), issued(30)
    contents = badges.wallet_contents(db_session, owner, TOKYO)
    assert contents.issued == [newest, middle, oldest]
    assert contents.offered == []
    assert contents.pending == []
