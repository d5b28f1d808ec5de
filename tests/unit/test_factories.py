from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import AwardFactory, UserFactory


def test_factories_build_a_consistent_award(db_session: Session) -> None:
    award = AwardFactory()
    assert award.badge_class.issuer.name == "静岡大学"
    assert award.is_offered
    user = UserFactory(staff=True)
    assert user.is_staff
    assert user.verified_emails == [user.email]
