"""Every GET page, as a phone user would see it: anonymous, student and staff, ja and en.

The live server's database holds an issuer, hosted and anchored badges with long
Japanese and English names, awards in every state, a student with a second
verified address, and a staff user. Each page must answer below 500, fit 360 px,
carry the right ``<html lang>``, log no console error or CSP violation, load every
image, and (in Japanese) show no English text that the catalogues translate.

A GET route added to the app must be visited here or excluded with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import ConsoleMessage, Page, Request, Response, expect

from tests.browser.conftest import LiveServer, assert_fits_width, stand_in_share_images
from tests.factories import (
    PASSWORD,
    AwardFactory,
    BadgeClassFactory,
    BlobFactory,
    DepartmentFactory,
    ImportedBadgeFactory,
    IssuerFactory,
    UserFactory,
)
from wallet import extensions as ext
from wallet.config import PROJECT_ROOT
from wallet.mail import Envelope, FolderTransport, render_message
from wallet.models import AwardState, EmailAddress, MailStatus, OutboxMail, TokenPurpose
from wallet.services.anchoring.run import run_anchoring
from wallet.services.tokens import issue_token

pytestmark = pytest.mark.browser

ROLES = ("anonymous", "student", "staff")
LANGS = ("ja", "en")
BROWSER_LOCALE = {"ja": "ja-JP", "en": "en-US"}
STRONG = "夏の富士山に登る 2026"

LONG_JA = (
    "令和八年度静岡大学全学教育基盤機構データサイエンス・人工知能教育プログラム"
    "（応用基礎レベル）修了認定オープンバッジ"
)
LONG_EN = (
    "Certificate of Completion: Interdisciplinary Data Science and Artificial "
    "Intelligence Education Programme (Applied Foundations Level), Shizuoka University"
)
LONG_DESCRIPTION = (
    "本バッジは、静岡大学が提供するデータサイエンス・人工知能教育プログラムにおいて、"
    "所定の授業科目をすべて修得し、データの収集・加工・分析・可視化の基礎的な能力を"
    "身につけたことを証明するものです。\n"
    "https://www.shizuoka.ac.jp/education/data-science-and-artificial-intelligence/programme/"
)
LONG_EMAIL = "hanako.shizuoka.data-science-programme-2026@inf.shizuoka.ac.jp"


@dataclass
class World:
    """What the seeded database holds: ids and raw tokens the visits need."""

    student_email: str
    staff_email: str
    colleague_id: int  # a department staff member the administrator manages
    department_id: int
    hosted_id: int
    anchored_id: int
    student_awards: dict[str, int]
    claim_offered: str
    claim_second_email: str
    claim_revoked: str
    activation: str
    reset: str
    add_email: str
    revocable_award_id: int
    registrations: dict[tuple[str, str], str]
    undo: str  # shown, never used
    undos: dict[tuple[str, str], str]  # one per walk: each is used
    shares: dict[str, str]  # award state -> share id (the student's badges are public)
    profile_id: str
    mails: dict[str, str] = field(default_factory=dict)  # locale -> outbox file name
    imports: dict[str, int] = field(default_factory=dict)  # verdict -> imported badge id
    import_shares: dict[str, str] = field(default_factory=dict)  # verdict -> share id


def _seed(live: LiveServer) -> World:
    now = datetime.now(UTC)
    with live.app.app_context():
        session = ext.db.session()
        issuer = IssuerFactory(
            name="国立大学法人静岡大学 全学教育基盤機構 数理・データサイエンス教育センター",
            name_en="Centre for Mathematical and Data Science Education, Shizuoka University",
            image_sha256=BlobFactory().sha256,
            # the student's addresses are all the university's: the wallet shows the
            # graduation prompt, which is checked on a phone like the rest of the page
            mail_domains=["shizuoka.ac.jp"],
        )
        department = DepartmentFactory(
            issuer=issuer,
            name="全学教育基盤機構 数理・データサイエンス教育センター 応用基礎プログラム部門",
            name_en="Centre for Mathematical and Data Science Education, Applied Foundations",
        )
        hosted = BadgeClassFactory(
            department=department,
            name=LONG_JA,
            name_en=LONG_EN,
            description=LONG_DESCRIPTION,
            description_en=LONG_EN + ". " + LONG_EN,
            criteria_text=LONG_DESCRIPTION,
            criteria_url="https://www.shizuoka.ac.jp/education/data-science-and-artificial-intelligence/criteria/2026",
            valid_days=365,
            tags=["data-science", "artificial-intelligence", "応用基礎レベル"],
        )
        anchored = BadgeClassFactory(
            department=department,
            anchored=True,
            name="ブロックチェーン型" + LONG_JA,
            name_en="Blockchain-type " + LONG_EN,
        )
        student = UserFactory(email=LONG_EMAIL, name="静岡 花子（しずおか はなこ）")
        second = "hanako.second.address@alumni.shizuoka.ac.jp"
        student.emails.append(EmailAddress(email=second, verified_at=now))
        staff = UserFactory(staff=True, name="教務課 オープンバッジ担当")
        colleague = UserFactory(
            department_staff=True,
            departments=[department, DepartmentFactory(issuer=issuer)],
            email="data-science-centre.office.applied-foundations@inf.shizuoka.ac.jp",
            name="数理・データサイエンス教育センター 事務担当 静岡 一郎",
        )
        waiting = UserFactory(inactive=True, email="waiting@shizuoka.ac.jp")
        student.profile_id = "hanakoProfile"
        student.is_profile_public = True
        session.flush()
        share_ids: dict[int, str] = {}

        def award(badge: object, state: str, **extra: object) -> int:
            made = AwardFactory(
                badge_class=badge,
                recipient_email=extra.pop("email", LONG_EMAIL),
                recipient_name=student.name,
                state=state,
                **extra,
            )
            share_ids[made.id] = made.share_id
            return int(made.id)

        mine = {"user_id": student.id, "accepted_at": now}
        # an anchored badge the daily run has completed: recorded in the public ledger
        anchored_done = award(anchored, AwardState.PENDING, is_public=True, **mine)
        run_anchoring(session, live.app.config["WALLET_SETTINGS"], now)
        awards = {
            "anchored": anchored_done,
            "offered": award(hosted, AwardState.OFFERED),
            "offered_second": award(anchored, AwardState.OFFERED, email=second),
            "pending": award(anchored, AwardState.PENDING, email="p@x.jp", is_public=True, **mine),
            "issued": award(
                BadgeClassFactory(issuer=issuer, name_en=LONG_EN),
                AwardState.ISSUED,
                issued_at=now,
                expires_at=now + timedelta(days=365),
                is_public=True,
                **mine,
            ),
            "expired": award(
                BadgeClassFactory(issuer=issuer),
                AwardState.ISSUED,
                issued_at=now - timedelta(days=800),
                expires_at=now - timedelta(days=435),
                is_public=False,
                **mine,
            ),
            "revoked": award(
                BadgeClassFactory(issuer=issuer, anchored=True),
                AwardState.ISSUED,
                issued_at=now,
                revoked_at=now,
                revocation_reason="授与対象者の確認に誤りがあったため取り消しました。" * 3,
                is_public=True,
                **mine,
            ),
            "declined": award(BadgeClassFactory(issuer=issuer), AwardState.DECLINED, **mine),
        }

        def claim(award_id: int, email: str) -> str:
            return issue_token(
                session,
                purpose=TokenPurpose.CLAIM,
                email=email,
                lifetime=timedelta(days=90),
                award_id=award_id,
            )

        revoked_offer = AwardFactory(
            badge_class=hosted, recipient_email="revoked@shizuoka.ac.jp", revoked_at=now
        )
        revocable = AwardFactory(badge_class=hosted, recipient_email="jiro@shizuoka.ac.jp")
        registrations = {}
        for role in ROLES:
            for lang in LANGS:
                email = f"new-{role}-{lang}@shizuoka.ac.jp"
                fresh = AwardFactory(badge_class=hosted, recipient_email=email, locale=lang)
                registrations[(role, lang)] = claim(fresh.id, email)
        borrower = UserFactory(name="浜松 次郎（共用パソコンでログインしたまま）")
        for address, error in (
            (LONG_EMAIL, f"recipient refused: {{'{LONG_EMAIL}': (550, b'5.1.1 User unknown')}}"),
            ("jiro@shizuoka.ac.jp", "554 b'5.7.1 Relay access denied: " + "x" * 200 + "'"),
        ):
            session.add(
                OutboxMail(
                    template="award_notice",
                    to_email=address,
                    status=MailStatus.FAILED,
                    attempts=10,
                    last_error=error,
                )
            )

        def undo(address: str) -> str:
            """An address a claim link added to ``borrower``, and the link that takes it back."""
            borrower.emails.append(EmailAddress(email=address, verified_at=now))
            taken = AwardFactory(
                badge_class=hosted,
                recipient_email=address,
                state=AwardState.ISSUED,
                user_id=borrower.id,
                accepted_at=now,
                issued_at=now,
            )
            return issue_token(
                session,
                purpose=TokenPurpose.UNDO_ADD_EMAIL,
                email=address,
                lifetime=timedelta(days=30),
                user_id=borrower.id,
                award_id=taken.id,
            )

        undos = {
            (role, lang): undo(f"taken-{role}-{lang}@example.jp")
            for role in ROLES
            for lang in LANGS
        }
        world = World(
            student_email=LONG_EMAIL,
            staff_email=staff.email,
            colleague_id=colleague.id,
            department_id=department.id,
            hosted_id=hosted.id,
            anchored_id=anchored.id,
            student_awards=awards,
            claim_offered=claim(awards["offered"], LONG_EMAIL),
            claim_second_email=claim(awards["offered_second"], second),
            claim_revoked=claim(revoked_offer.id, revoked_offer.recipient_email),
            activation=issue_token(
                session,
                purpose=TokenPurpose.ACTIVATE,
                email=waiting.email,
                lifetime=timedelta(hours=24),
                user_id=waiting.id,
            ),
            reset=issue_token(
                session,
                purpose=TokenPurpose.RESET,
                email=student.email,
                lifetime=timedelta(hours=1),
                user_id=student.id,
            ),
            add_email=issue_token(
                session,
                purpose=TokenPurpose.ADD_EMAIL,
                email="hanako.third@example.ac.jp",
                lifetime=timedelta(hours=24),
                user_id=student.id,
            ),
            revocable_award_id=revocable.id,
            registrations=registrations,
            undo=undo(LONG_EMAIL.replace("hanako", "hanako.private")),
            undos=undos,
            shares={state: share_ids[awards[state]] for state in SHARED},
            profile_id=student.profile_id,
        )
        imports = {
            "valid": ImportedBadgeFactory(
                user=student, is_public=True, badge_name=LONG_EN, issuer_name=LONG_EN
            ),
            "revoked": ImportedBadgeFactory(
                user=student,
                is_public=True,
                badge_name=LONG_JA,
                status="revoked",
                revocation_reason="授与対象者の確認に誤りがあったため取り消しました。" * 3,
                expires_at=now + timedelta(days=30),
            ),
        }
        world.imports = {verdict: made.id for verdict, made in imports.items()}
        world.import_shares = {verdict: made.share_id for verdict, made in imports.items()}
        session.commit()
        world.mails = {lang: _write_mail(live, lang) for lang in LANGS}
        ext.db.session.remove()
    return world


MAIL_CONTEXTS: dict[str, dict[str, object]] = {
    "account_deleted": {"recipient_name": "静岡 花子（しずおか はなこ）", "badge_count": 3},
    "award_notice": {
        "recipient_name": "静岡 花子（しずおか はなこ）",
        "badge_name": LONG_JA,
        "badge_name_en": LONG_EN,
        "issuer_name": "国立大学法人静岡大学 全学教育基盤機構",
        "issuer_name_en": "Centre for Mathematical and Data Science Education",
        "claim_url": "http://127.0.0.1/claim/" + "A" * 43,
        "claim_expires_on": "2026-07-01",
    },
    "claim_reminder": {
        "recipient_name": "静岡 花子（しずおか はなこ）",
        "badge_name": LONG_JA,
        "badge_name_en": LONG_EN,
        "issuer_name": "国立大学法人静岡大学 全学教育基盤機構",
        "issuer_name_en": "Centre for Mathematical and Data Science Education",
        "claim_url": "http://127.0.0.1/claim/" + "F" * 43,
        "claim_expires_on": "2026-09-28",
        "awarded_on": "2026-04-01",
    },
    "badge_issued": {
        "recipient_name": "静岡 花子",
        "badge_name": LONG_JA,
        "badge_name_en": LONG_EN,
        "issuer_name": "静岡大学",
        "issuer_name_en": "Shizuoka University",
        "badge_url": "http://127.0.0.1/wallet/badges/1234567",
    },
    "activation": {
        "recipient_name": "静岡 花子",
        "activate_url": "http://127.0.0.1/activate/" + "B" * 43,
        "hours": 24,
    },
    "password_reset": {
        "recipient_name": "静岡 花子",
        "reset_url": "http://127.0.0.1/password/reset/" + "C" * 43,
        "minutes": 60,
    },
    "add_email": {
        "recipient_name": "静岡 花子",
        "verify_url": "http://127.0.0.1/account/emails/verify/" + "D" * 43,
        "hours": 24,
    },
    "address_added": {
        "recipient_name": "静岡 花子（しずおか はなこ）",
        "account_name": "浜松 次郎（共用パソコンでログインしたまま）",
        "badge_name": LONG_JA,
        "badge_name_en": LONG_EN,
        "issuer_name": "国立大学法人静岡大学 全学教育基盤機構",
        "issuer_name_en": "Centre for Mathematical and Data Science Education",
        "added_at": "2026-07-01T06:04:00+00:00",
        "undo_url": "http://127.0.0.1/claim/undo/" + "E" * 43,
        "days": 30,
    },
    "address_removed": {
        "recipient_name": "浜松 次郎",
        "address": LONG_EMAIL,
        "badges": [{"badge_name": LONG_JA, "badge_name_en": LONG_EN}],
        "account_url": "http://127.0.0.1/account",
    },
    "staff_invitation": {
        "recipient_name": "工学部 学務係 オープンバッジ担当 静岡 花子",
        "email": LONG_EMAIL,
        "inviter_name": "教務課 オープンバッジ担当",
        "issuer_name": "国立大学法人静岡大学 全学教育基盤機構",
        "issuer_name_en": "Centre for Mathematical and Data Science Education",
        "role": "department",
        "departments": [
            {"name": "工学部", "name_en": "Faculty of Engineering"},
            {
                "name": "総合科学技術研究科",
                "name_en": "Graduate School of Integrated Science and Technology",
            },
        ],
        "set_password_url": "http://127.0.0.1/password/reset/" + "G" * 43,
        "office_url": "http://127.0.0.1/admin/",
        "days": 7,
    },
    "login_throttled": {
        "recipient_name": "静岡 花子（しずおか はなこ）",
        "attempts": 5,
        "attempted_at": "2026-04-01T09:05:00+00:00",
        "client_address": "2001:db8:85a3:8d3:1319:8a2e:370:7348",
        "minutes": 15,
        "reset_url": "http://127.0.0.1/password/reset",
    },
}


def _write_mail(live: LiveServer, locale: str, template: str = "award_notice") -> str:
    """A rendered mail in the dev outbox folder, as ``make run`` would write it."""
    settings = live.app.config["WALLET_SETTINGS"]
    folder = Path(settings.outbox_dir)
    folder.mkdir(parents=True, exist_ok=True)
    message = render_message(
        Envelope(
            mail_id=len(list(folder.iterdir())) + 1,
            template=template,
            to_email=LONG_EMAIL,
            locale=locale,
            context=MAIL_CONTEXTS[template],
            created_at=datetime.now(UTC),
        ),
        settings,
    )
    before = set(folder.iterdir())
    FolderTransport(folder).send(message)
    (path,) = set(folder.iterdir()) - before
    return path.name


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    return _seed(live_server)


# --- what to visit ----------------------------------------------------------------------


@dataclass
class Visit:
    """One navigation: ``go`` drives the page there; checks run on where it lands."""

    endpoint: str
    label: str
    go: Callable[[Page, World, str, str, str], None]  # page, world, base url, role, lang
    lang: Callable[[str], str] = lambda lang: lang  # the <html lang> expected


def _goto(path: Callable[[World], str]) -> Callable[[Page, World, str, str, str], None]:
    def go(page: Page, world: World, base: str, _role: str, _lang: str) -> None:
        page.goto(base + path(world))

    return go


def _terms_then_register(page: Page, world: World, base: str, role: str, lang: str) -> None:
    token = world.registrations[(role, lang)]
    page.goto(f"{base}/claim/{token}/terms")
    page.locator("main input[name=agree]").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/register$"))


def _register(page: Page, world: World, base: str, role: str, lang: str) -> None:
    token = world.registrations[(role, lang)]
    page.goto(f"{base}/claim/{token}/register")
    page.locator("main input[name=name]").fill("浜松 次郎")
    page.locator("main input[name=password]").fill(STRONG)
    page.locator("main input[name=confirm]").fill(STRONG)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/claim/registered$"))


def _undo(page: Page, world: World, base: str, role: str, lang: str) -> None:
    page.goto(f"{base}/claim/undo/{world.undos[(role, lang)]}")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/claim/undone$"))


SHARED = ("issued", "pending", "anchored", "expired", "revoked")


def _award(state: str) -> Callable[[World], str]:
    return lambda w: f"/wallet/badges/{w.student_awards[state]}"


def _shared(state: str) -> Callable[[World], str]:
    return lambda w: f"/b/{w.shares[state]}"


VISITS: list[Visit] = [
    Visit("public.home", "start page", _goto(lambda w: "/")),
    Visit("auth.login", "login", _goto(lambda w: "/login")),
    Visit("auth.request_reset", "reset request", _goto(lambda w: "/password/reset")),
    Visit("auth.reset_password", "reset form", _goto(lambda w: f"/password/reset/{w.reset}")),
    Visit("auth.reset_password", "reset: bad link", _goto(lambda w: "/password/reset/nope")),
    Visit("auth.resend_activation", "activation resend", _goto(lambda w: "/activate/resend")),
    Visit("auth.activate", "activate", _goto(lambda w: f"/activate/{w.activation}")),
    Visit("auth.activate", "activate: bad link", _goto(lambda w: "/activate/nope")),
    Visit("auth.account", "account", _goto(lambda w: "/account")),
    Visit("auth.delete_account", "delete account", _goto(lambda w: "/account/delete")),
    Visit(
        "auth.verify_email",
        "verify address",
        _goto(lambda w: f"/account/emails/verify/{w.add_email}"),
    ),
    Visit("auth.verify_email", "verify: bad link", _goto(lambda w: "/account/emails/verify/no")),
    Visit("claim.start", "claim", _goto(lambda w: f"/claim/{w.claim_offered}")),
    Visit("claim.start", "claim: 2nd address", _goto(lambda w: f"/claim/{w.claim_second_email}")),
    Visit("claim.start", "claim: revoked", _goto(lambda w: f"/claim/{w.claim_revoked}")),
    Visit("claim.start", "claim: bad link", _goto(lambda w: "/claim/nope")),
    Visit("claim.terms", "terms", _goto(lambda w: f"/claim/{w.claim_offered}/terms")),
    Visit("claim.register", "register", _terms_then_register),
    Visit("claim.registered", "registered", _register),
    Visit("claim.resend", "claim resend", _goto(lambda w: "/claim/resend")),
    Visit("claim.undo_add_email", "undo", _goto(lambda w: f"/claim/undo/{w.undo}")),
    Visit("claim.undo_add_email", "undo: bad link", _goto(lambda w: "/claim/undo/nope")),
    Visit("claim.undone", "undone", _undo),
    Visit("wallet.index", "wallet", _goto(lambda w: "/wallet")),
    *(
        Visit("wallet.show_badge", f"badge: {state}", _goto(_award(state)))
        for state in (
            "offered",
            "offered_second",
            "pending",
            "anchored",
            "issued",
            "expired",
            "revoked",
        )
    ),
    Visit("wallet.show_badge", "badge: declined", _goto(_award("declined"))),
    *(
        Visit(endpoint, f"{label}: {state}", _goto(lambda w, s=state, p=path: _award(s)(w) + p))
        for endpoint, label, path in (
            ("badge_tools.show_signature", "signature", "/signature"),
            ("badge_tools.show_cv_kit", "CV kit", "/cv"),
        )
        for state in ("issued", "expired")  # public, private
    ),
    Visit(
        "badge_tools.preview_signature",
        "signature preview",
        _goto(lambda w: _award("issued")(w) + "/signature/preview"),
    ),
    *(Visit("share.show_share", f"share page: {state}", _goto(_shared(state))) for state in SHARED),
    Visit("share.show_share", "share page: unknown", _goto(lambda w: "/b/nope1234")),
    Visit("share.show_profile", "public profile", _goto(lambda w: f"/u/{w.profile_id}")),
    Visit("verify.check", "verify", _goto(lambda w: "/verify")),
    *(
        Visit(
            "verify.check",
            f"verify: share link, {state}",
            lambda p, w, b, r, lang, s=state: p.goto(f"{b}/verify?url={b}/b/{w.shares[s]}"),
        )
        for state in ("issued", "revoked")
    ),
    Visit(
        "verify.check",
        "verify: internal address",
        _goto(lambda w: "/verify?url=http://10.0.0.1/assertion"),
    ),
    Visit("importing.new_import", "import", _goto(lambda w: "/wallet/import")),
    *(
        Visit(
            "importing.show_import",
            f"imported: {verdict}",
            _goto(lambda w, v=verdict: f"/wallet/imported/{w.imports[v]}"),
        )
        for verdict in ("valid", "revoked")
    ),
    *(
        Visit(
            "share.show_share",
            f"share page: imported, {verdict}",
            _goto(lambda w, v=verdict: f"/b/{w.import_shares[v]}"),
        )
        for verdict in ("valid", "revoked")
    ),
    Visit("admin.index", "office", _goto(lambda w: "/admin/")),
    Visit("admin.edit_issuer", "issuer", _goto(lambda w: "/admin/issuer")),
    Visit("admin.new_badge_class", "new badge", _goto(lambda w: "/admin/badges/new")),
    Visit("admin.show_badge_class", "hosted", _goto(lambda w: f"/admin/badges/{w.hosted_id}")),
    Visit("admin.show_badge_class", "anchored", _goto(lambda w: f"/admin/badges/{w.anchored_id}")),
    Visit("admin.edit_badge_class", "edit", _goto(lambda w: f"/admin/badges/{w.hosted_id}/edit")),
    Visit(
        "admin.upload_completers",
        "upload",
        _goto(lambda w: f"/admin/badges/{w.anchored_id}/upload"),
    ),
    Visit(
        "admin.revoke_award",
        "revoke",
        _goto(lambda w: f"/admin/awards/{w.revocable_award_id}/revoke"),
    ),
    Visit("admin_reports.search_awards", "find awards", _goto(lambda w: "/admin/awards")),
    Visit(
        "admin_reports.search_awards",
        "find awards: filtered",
        _goto(lambda w: f"/admin/awards?q=静岡&badge_class={w.hosted_id}&sort=oldest"),
    ),
    Visit(
        "admin_reports.search_awards",
        "find awards: bad date",
        _goto(lambda w: "/admin/awards?issued_from=2026-02-30&state=lost"),
    ),
    Visit("admin_reports.show_dashboard", "dashboard", _goto(lambda w: "/admin/dashboard")),
    Visit(
        "admin_reports.show_dashboard",
        "dashboard: weeks",
        _goto(lambda w: "/admin/dashboard?period=week"),
    ),
    Visit("admin.list_failed_mail", "failed mail", _goto(lambda w: "/admin/mail/failed")),
    Visit("admin_staff.list_staff", "staff", _goto(lambda w: "/admin/staff")),
    Visit("admin_staff.invite_staff", "invite staff", _goto(lambda w: "/admin/staff/new")),
    Visit(
        "admin_staff.edit_staff", "staff member", _goto(lambda w: f"/admin/staff/{w.colleague_id}")
    ),
    Visit("admin_staff.list_departments", "departments", _goto(lambda w: "/admin/departments")),
    Visit(
        "admin_staff.new_department", "new department", _goto(lambda w: "/admin/departments/new")
    ),
    Visit(
        "admin_staff.edit_department",
        "rename department",
        _goto(lambda w: f"/admin/departments/{w.department_id}/edit"),
    ),
    Visit("admin_reports.show_audit_log", "audit log", _goto(lambda w: "/admin/audit")),
    Visit(
        "admin_reports.show_audit_log", "audit log: page 2", _goto(lambda w: "/admin/audit?page=2")
    ),
    Visit("ledger.index", "public ledger", _goto(lambda w: "/ledger")),
    Visit("ledger.entry", "ledger entry", _goto(lambda w: "/ledger/entries/0")),
    Visit("ledger.entry", "ledger entry: unknown", _goto(lambda w: "/ledger/entries/99")),
    Visit("dev.list_outbox", "outbox", _goto(lambda w: "/dev/outbox")),
    Visit(
        "dev.show_mail", "mail", lambda p, w, b, r, lang: p.goto(f"{b}/dev/outbox/{w.mails[lang]}")
    ),
    Visit(
        "dev.mail_html",
        "mail html",
        lambda p, w, b, r, lang: p.goto(f"{b}/dev/outbox/{w.mails[lang]}/html"),
    ),
]

EXCLUDED = {
    "static": "stylesheets; every page's CSS loads without a console error",
    "public.image": "image bytes; every <img> on every page must load (naturalWidth > 0)",
    "public.issuer_document": "JSON-LD for verifiers, tested in tests/web/test_ob_documents.py",
    "public.revocation_list_document": "JSON-LD, tested in tests/web/test_ob_documents.py",
    "public.badge_class_document": "JSON-LD, tested in tests/web/test_ob_documents.py",
    "public.assertion_document": "JSON-LD, tested in tests/web/test_ob_documents.py",
    "share_images.preview": "PNG, tested in tests/web/test_share_image_routes.py",
    "share_images.qr_png": "PNG, tested in tests/web/test_share_image_routes.py",
    "share_images.qr_svg": "SVG, tested in tests/web/test_share_image_routes.py",
    "share_images.signature_badge": "PNG, tested in tests/web/test_share_image_routes.py",
    "badge_tools.download_badge": "baked image files, tested in tests/web/test_badge_tools.py",
    "badge_tools.add_to_linkedin": "a redirect off the site, tested in test_sharing_controls.py",
    "admin_reports.export_awards": "a CSV download, tested in tests/web/test_admin_search.py",
    "admin_reports.export_audit_log": "a CSV download, tested in tests/web/test_audit_log.py",
    "public.blockcerts_issuer_document": "JSON, tested in tests/anchoring/test_pages.py",
    "ledger.summary_json": "JSON, tested in tests/anchoring/test_pages.py",
    "ledger.entries_json": "JSON, tested in tests/anchoring/test_pages.py",
    "ledger.checkpoints_json": "JSON, tested in tests/anchoring/test_pages.py",
    "ledger.consistency_json": "JSON, tested in tests/anchoring/test_pages.py",
    "ledger.entry_json": "JSON, tested in tests/anchoring/test_pages.py",
    "wallet.download_blockcerts": "a JSON download, tested in tests/anchoring/test_pages.py",
    "share.download_blockcerts": "a JSON download, tested in tests/anchoring/test_pages.py",
    "ob3.issuer_profile": "JSON-LD, tested in tests/web/test_ob3_issuing.py",
    "ob3.issuer_did": "a DID document, tested in tests/web/test_ob3_issuing.py",
    "ob3.status_list": "a status list credential, tested in tests/web/test_ob3_issuing.py",
    "ob3.credential": "a credential (JSON), tested in tests/web/test_ob3_issuing.py",
    "ob3.download_own": "credential files, tested in tests/web/test_ob3_issuing.py",
    "ob3.download_shared": "credential files, tested in tests/web/test_ob3_issuing.py",
}


def test_every_get_route_is_visited_or_excluded(live_server: LiveServer) -> None:
    routes = {
        rule.endpoint
        for rule in live_server.app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
    }
    visited = {visit.endpoint for visit in VISITS}
    assert not visited & EXCLUDED.keys()
    assert routes - visited - EXCLUDED.keys() == set(), "new GET pages: visit or exclude them"
    assert (visited | EXCLUDED.keys()) - routes == set(), "routes that no longer exist"


# --- English text the Japanese catalogues translate ---------------------------------------

_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")


def _english_fragments() -> list[str]:
    """Distinctive pieces of every translated msgid: two English words or more."""
    fragments: set[str] = set()
    for po in PROJECT_ROOT.glob("wallet/translations/*/ja/LC_MESSAGES/messages.po"):
        with po.open("rb") as file:
            catalog = read_po(file)
        for message in catalog:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            for msgid in ids:
                if not msgid:
                    continue
                for piece in _PLACEHOLDER.split(msgid):
                    piece = piece.strip(" .,:;()“”\"'")
                    if len(piece.split()) >= 2 and re.search(r"[a-z]{3}", piece):
                        fragments.add(piece)
    return sorted(fragments)


ENGLISH = _english_fragments()

VISIBLE_TEXT = """() => {
  const clone = document.body.cloneNode(true);
  const other = '[lang]:not([lang|="ja"]), [translate="no"], script, style';
  clone.querySelectorAll(other).forEach(e => e.remove());
  return clone.innerText || clone.textContent;
}"""

BROKEN_IMAGES = """async () => {
  const broken = [];
  for (const img of Array.from(document.images)) {
    img.scrollIntoView();
    try { await img.decode(); } catch (e) { /* judged below */ }
    if (!(img.complete && img.naturalWidth > 0)) broken.push(img.currentSrc || img.src);
  }
  window.scrollTo(0, 0);
  return broken;
}"""


# --- the walk -----------------------------------------------------------------------------


class Recorder:
    """Console errors, page errors and documents answered >= 500, per navigation."""

    def __init__(self, page: Page) -> None:
        self.console: list[ConsoleMessage] = []
        self.page_errors: list[str] = []
        self.documents: dict[str, int] = {}
        self.failures: list[str] = []
        page.on("console", lambda m: self.console.append(m) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _response(self, response: Response) -> None:
        if response.request.resource_type == "document":
            self.documents[response.url] = response.status
        elif response.status >= 400:
            self.failures.append(f"{response.url}: {response.status}")

    def _failed(self, request: Request) -> None:
        # ERR_ABORTED: the browser cancelled it because the page navigated on
        if request.failure != "net::ERR_ABORTED":
            self.failures.append(f"{request.url}: {request.failure}")

    def clear(self) -> None:
        self.console.clear()
        self.page_errors.clear()
        self.documents.clear()
        self.failures.clear()

    def problems(self) -> list[str]:
        found = [
            f"document {url} answered {code}" for url, code in self.documents.items() if code >= 500
        ]
        for message in self.console:
            where = message.location.get("url", "")
            # a 404/410 page is itself a "failed resource" to chromium: that one is expected
            expected = (
                message.text.startswith("Failed to load resource")
                and 400 <= self.documents.get(where, 0) < 500
            )
            if not expected:
                found.append(f"console error: {message.text} ({where})")
        found += [f"script error: {e}" for e in self.page_errors]
        found += [f"failed request: {f}" for f in self.failures]
        return found


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _use_language(page: Page, base: str, lang: str) -> None:
    """The header's language switch, as a student whose setting differs would use it."""
    page.goto(base + "/")
    if page.locator("html").get_attribute("lang") != lang:
        page.locator(".lang-switch button").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def _check(page: Page, recorder: Recorder, visit: Visit, lang: str) -> list[str]:
    problems: list[str] = []
    page.wait_for_load_state("load")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        problems.append(f"scrolls sideways by {overflow}px")
    html_lang = page.locator("html").get_attribute("lang")
    if html_lang != visit.lang(lang):
        problems.append(f"<html lang={html_lang!r}>, expected {visit.lang(lang)!r}")
    broken = page.evaluate(BROKEN_IMAGES)
    if broken:
        problems.append(f"images that do not load: {broken}")
    if lang == "ja" and html_lang == "ja":
        text = page.evaluate(VISIBLE_TEXT)
        english = [f for f in ENGLISH if f in text]
        if english:
            problems.append(f"untranslated English: {english}")
    problems += recorder.problems()
    return sorted(set(problems))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_works_on_a_phone(
    live_server: LiveServer,
    world: World,
    phone_page: Callable[[str], Page],
    role: str,
    lang: str,
) -> None:
    page = phone_page(BROWSER_LOCALE[lang])
    stand_in_share_images(page.context, live_server.app)
    base = live_server.url
    if role != "anonymous":
        _log_in(page, base, world.student_email if role == "student" else world.staff_email)
        _use_language(page, base, lang)
    recorder = Recorder(page)
    problems: list[str] = []
    for visit in VISITS:
        recorder.clear()
        visit.go(page, world, base, role, lang)
        for problem in _check(page, recorder, visit, lang):
            problems.append(f"[{role}/{lang}] {visit.label} ({page.url}): {problem}")
    assert not problems, "\n".join(problems)
    assert_fits_width(page)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("template", sorted(MAIL_CONTEXTS))
def test_every_mail_reads_on_a_phone(
    live_server: LiveServer,
    world: World,
    phone_page: Callable[[str], Page],
    template: str,
    lang: str,
) -> None:
    page = phone_page(BROWSER_LOCALE[lang])
    recorder = Recorder(page)
    with live_server.app.app_context():
        name = _write_mail(live_server, lang, template)
    page.goto(f"{live_server.url}/dev/outbox/{name}/html")
    visit = Visit("dev.mail_html", template, _goto(lambda w: ""))
    problems = _check(page, recorder, visit, lang)
    assert not problems, problems
