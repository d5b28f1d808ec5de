"""Search 200,000 awards on PostgreSQL: p50/p95 of typical searches of the office.

    .venv/bin/python bench/bench_search.py --database-url URL [-n 200000] [-r 40]
        [--reuse] [--explain] [--as department]

Empties the database, builds the schema with the migrations (so the indexes are
the production ones: pg_trgm GIN on names, addresses and student numbers), fills
``-n`` awards over 20 badge classes and three years (Japanese and romanised names,
mixed states) with COPY, and ANALYZEs. ``--reuse`` keeps a database an earlier run
filled with the same ``-n``. Then each search runs ``-r`` times (after two warm-up
runs) two ways: the service alone (``issuing.search_awards``: the count and one
page of 50) and the whole page (``GET /admin/awards`` through Flask's test client as
a logged-in member of the office: form, service, template). For scale, the first row
times a page that runs one small query (the issuer profile form). ``--explain`` prints
PostgreSQL's plan for each search's page query. Target: page p95 under 100 ms.

The badge classes alternate between two departments. ``--as department`` searches as
a member of one of them (every query then also keeps to that department's classes,
``issuing.scope``); the default is an administrator, who sees every award.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 100.0
PASSWORD = "bench-password-1"
STAFF = {"admin": "office@x.jp", "department": "kogaku@x.jp"}  # --as: whose search
CLASSES = 20
FAMILY = [
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"),
    ("阿部", "abe"), ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"),
    ("石井", "ishii"), ("小川", "ogawa"), ("前田", "maeda"), ("岡田", "okada"),
    ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"), ("近藤", "kondo"),
    ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"), ("坂本", "sakamoto"),
    ("静岡", "shizuoka"), ("浜松", "hamamatsu"), ("藤井", "fujii"), ("西村", "nishimura"),
]  # fmt: skip
GIVEN = [
    ("花子", "hanako"), ("太郎", "taro"), ("翔太", "shota"), ("陽菜", "hina"),
    ("結衣", "yui"), ("大翔", "hiroto"), ("蓮", "ren"), ("美咲", "misaki"),
    ("悠真", "yuma"), ("さくら", "sakura"), ("湊", "minato"), ("葵", "aoi"),
    ("陽翔", "haruto"), ("凛", "rin"), ("樹", "itsuki"), ("芽依", "mei"),
    ("颯太", "sota"), ("莉子", "riko"), ("健太", "kenta"), ("彩花", "ayaka"),
    ("次郎", "jiro"), ("優花", "yuka"), ("拓海", "takumi"), ("七海", "nanami"),
    ("大和", "yamato"), ("千尋", "chihiro"), ("直樹", "naoki"), ("真央", "mao"),
    ("一輝", "kazuki"), ("愛", "ai"), ("智也", "tomoya"), ("由佳", "yuka"),
]  # fmt: skip
DOMAINS = ["shizuoka.ac.jp", "gmail.com", "example.ac.jp", "yahoo.co.jp"]


def _fill(database_url: str, count: int) -> None:
    """Schema by migration, then ``count`` awards by COPY."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from tests.conftest import make_settings
    from tests.factories import png_bytes
    from wallet import create_app
    from wallet import extensions as ext
    from wallet.models import StaffRole
    from wallet.services import issuing
    from wallet.services.staff import StaffAccess, create_staff_user

    instance = Path(tempfile.mkdtemp(prefix="bench-search-"))
    app = create_app(make_settings(instance, database_url=database_url))
    with app.app_context():
        with ext.db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        session = ext.db.session()
        settings = app.config["WALLET_SETTINGS"]
        issuing.save_issuer(
            session,
            issuing.IssuerDetails("静岡大学", "Shizuoka University", "https://x.jp/", "o@x.jp"),
            max_image_bytes=settings.max_image_bytes,
        )
        departments = [
            issuing.create_department(session, "工学部", "Faculty of Engineering"),
            issuing.create_department(session, "教育学部", "Faculty of Education"),
        ]
        for i in range(CLASSES):
            issuing.create_badge_class(
                session,
                issuing.BadgeClassDetails(
                    name=f"プログラム {i:02d}", description="d", criteria_text="c"
                ),
                department_id=departments[i % 2].id,
                image=png_bytes(200, colour=(i, 90, 160)),
                max_image_bytes=settings.max_image_bytes,
            )
        create_staff_user(
            session, STAFF["admin"], "事務", PASSWORD, access=StaffAccess(StaffRole.ADMIN)
        )
        create_staff_user(
            session,
            STAFF["department"],
            "工学部 学務係",
            PASSWORD,
            access=StaffAccess(StaffRole.DEPARTMENT, (departments[0].id,)),
        )
        session.commit()
        class_ids = [row[0] for row in session.execute(text("SELECT id FROM badge_class"))]
        ext.db.session.remove()

        started = time.perf_counter()
        rng = random.Random(13)
        now = datetime.now(UTC)
        students = count * 3 // 4
        buffer = io.StringIO()
        for i in range(count):
            student = i % students
            family, family_r = FAMILY[student * 7 % len(FAMILY)]
            given, given_r = GIVEN[student * 11 % len(GIVEN)]
            romanised = student % 10 == 0
            name = f"{given_r.title()} {family_r.title()}" if romanised else f"{family} {given}"
            email = f"{family_r}.{given_r}.{student:06d}@{DOMAINS[student % len(DOMAINS)]}"
            number = str(70_000_000 + student * 37 % 1_000_000 + (student // 1_000_000))
            badge = class_ids[(i * 7 + i // students) % CLASSES]
            issued_on = now - timedelta(days=rng.uniform(0, 3 * 365))
            roll = rng.random()
            state, accepted, revoked, public = "offered", None, None, False
            if roll > 0.30:
                accepted = issued_on + timedelta(days=rng.uniform(0, 30))
                state = "issued" if roll > 0.40 else "pending"
                public = rng.random() < 0.4
            elif roll > 0.25:
                state = "declined"
            if rng.random() < 0.03:
                revoked = issued_on + timedelta(days=40)
            row = [
                f"p{i:020d}{rng.getrandbits(64):016x}",
                f"s{i:09d}",
                str(badge),
                email,
                name,
                number if student % 5 else "",
                f"{rng.getrandbits(64):016x}",
                "ja",
                state,
                "t" if public else "f",
                issued_on.isoformat(),
                accepted.isoformat() if accepted else "\\N",
                accepted.isoformat() if accepted and state == "issued" else "\\N",
                revoked.isoformat() if revoked else "\\N",
                "誤り" if revoked else "",
                issued_on.isoformat(),
            ]
            buffer.write("\t".join(row) + "\n")
        columns = (
            "public_id, share_id, badge_class_id, recipient_email, recipient_name, "
            "student_number, salt, locale, state, is_public, issued_on, accepted_at, "
            "issued_at, revoked_at, revocation_reason, created_at"
        )
        raw = ext.db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(f"COPY award ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                copy.write(buffer.getvalue())
            raw.commit()
        finally:
            raw.close()
        with ext.db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("VACUUM ANALYZE")
        print(f"filled {count} awards in {time.perf_counter() - started:.1f} s")
        ext.db.engine.dispose()


def _searches(sample: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    return [
        ("everything, newest first", {}),
        ("full name (静岡 花子)", {"q": "静岡 花子"}),
        ("family name, 2 characters (鈴木)", {"q": "鈴木"}),
        ("given name, 3 characters (さくら)", {"q": "さくら"}),
        ("romanised name, any case (taro)", {"q": "taro"}),
        ("address (whole)", {"q": sample["email"]}),
        ("address, part (family.given)", {"q": sample["email_part"]}),
        ("student number (whole)", {"q": sample["number"]}),
        ("student number, part (5 digits)", {"q": sample["number"][:5]}),
        ("badge + not yet claimed", {"badge_class": sample["badge"], "state": "offered"}),
        ("revoked", {"state": "revoked"}),
        ("one month of awards",
         {"issued_from": sample["month_from"], "issued_to": sample["month_to"]}),
        ("badge + name + oldest first",
         {"badge_class": sample["badge"], "q": "山田 太郎", "sort": "oldest"}),
        ("no match", {"q": "存在しない名前"}),
        ("department", {"department": sample["department"]}),
        ("department + family name (鈴木)", {"department": sample["department"], "q": "鈴木"}),
    ]  # fmt: skip


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def _timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    for _ in range(2):
        run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return _percentiles(samples)


def _explain(session: Any, search: Callable[[], object]) -> None:
    """PostgreSQL's plan for each query one search sends, with the values it sends."""
    from sqlalchemy import event

    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        search()
    finally:
        event.remove(engine, "before_cursor_execute", record)
        session.rollback()
    cursor = session.connection().connection.cursor()
    cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    for statement, parameters in statements:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
        print("\n".join("    " + row[0] for row in cursor.fetchall()))
    session.rollback()


def run(
    database_url: str, count: int, repeat: int, reuse: bool, explain: bool, role: str = "admin"
) -> bool:
    from flask import g
    from sqlalchemy import func, select

    from tests.conftest import make_settings
    from tests.helpers import csrf_token
    from wallet import create_app
    from wallet import extensions as ext
    from wallet.models import Award, User
    from wallet.services import issuing

    instance = Path(tempfile.mkdtemp(prefix="bench-search-"))
    settings = make_settings(instance, database_url=database_url, ratelimit_enabled=False)
    app = create_app(settings)
    with app.app_context():
        try:
            have = ext.db.session.scalar(select(func.count()).select_from(Award))
        except Exception:  # no schema yet
            have = None
        ext.db.session.remove()
        ext.db.engine.dispose()
    if not (reuse and have == count):
        _fill(database_url, count)

    client = app.test_client()
    ok = True
    with app.app_context():
        session = ext.db.session()
        staff = session.scalar(select(User).where(User.email == STAFF[role]))
        assert staff is not None
        seen = issuing.staff_awards(session, staff)
        award = session.scalar(seen.where(Award.student_number != "").offset(count // 4))
        assert award is not None
        month = award.issued_on.astimezone().replace(day=1).date()
        sample = {
            "email": award.recipient_email,
            "email_part": ".".join(award.recipient_email.split(".")[:2]),
            "number": award.student_number,
            "badge": str(award.badge_class_id),
            "department": str(award.badge_class.department_id),
            "month_from": month.isoformat(),
            "month_to": (month.replace(day=28)).isoformat(),
        }
        client.post(
            "/login",
            data={
                "csrf_token": csrf_token(client, "/login"),
                "email": STAFF[role],
                "password": PASSWORD,
            },
        )
        g.pop("csrf_token", None)
        who = "an administrator" if role == "admin" else "department staff (half the classes)"
        print(f"{count} awards, {repeat} runs each, searched by {who}; milliseconds")
        print(
            f"{'search':<40} {'matches':>8} {'svc p50':>8} {'svc p95':>8} "
            f"{'page p50':>9} {'page p95':>9}"
        )

        # a page of one small query: the issuer profile (administrators only) or the
        # new badge form (its departments)
        small = "/admin/issuer" if role == "admin" else "/admin/badges/new"

        def baseline() -> None:
            response = client.get(small)
            assert response.status_code == 200
            g.pop("csrf_token", None)

        floor = _timed(baseline, repeat)
        label = f"(for scale: {small})"
        print(f"{label:<40} {'':>8} {'':>8} {'':>8} {floor[0]:>9.1f} {floor[1]:>9.1f}")
        for label, args in _searches(sample):
            found = issuing.AwardFilter(
                text=args.get("q", ""),
                badge_class_id=int(args["badge_class"]) if "badge_class" in args else None,
                department_id=int(args["department"]) if "department" in args else None,
                state=args.get("state", ""),
                issued_from=datetime.fromisoformat(args["issued_from"]).date()
                if "issued_from" in args
                else None,
                issued_to=datetime.fromisoformat(args["issued_to"]).date()
                if "issued_to" in args
                else None,
                sort=args.get("sort", "newest"),
            )

            def service(found: issuing.AwardFilter = found) -> issuing.AwardSearchPage:
                result = issuing.search_awards(session, staff, found, timezone=settings.timezone)
                session.rollback()
                return result

            url = "/admin/awards?" + urlencode(args)

            def page(url: str = url) -> None:
                response = client.get(url)
                assert response.status_code == 200, response.get_data(as_text=True)[-1000:]
                g.pop("csrf_token", None)

            matches = service().count
            svc = _timed(service, repeat)
            web = _timed(page, repeat)
            ok &= web[1] < TARGET_MS
            if matches is None:
                shown = "-"  # too short to count
            elif matches > issuing.COUNT_CAP:
                shown = f">{issuing.COUNT_CAP:,}"
            else:
                shown = f"{matches:,}"
            print(f"{label:<40} {shown:>8} {svc[0]:>8.1f} {svc[1]:>8.1f}", end=" ")
            print(f"{web[0]:>9.1f} {web[1]:>9.1f}")
            if explain:
                _explain(
                    session,
                    lambda found=found: issuing.search_awards(
                        session, staff, found, timezone=settings.timezone
                    ),
                )
        ext.db.session.remove()
        ext.db.engine.dispose()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("WALLET_BENCH_PG_URL", ""),
        help="PostgreSQL (emptied and filled); default $WALLET_BENCH_PG_URL",
    )
    parser.add_argument("-n", "--awards", type=int, default=200_000)
    parser.add_argument("-r", "--repeat", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier fill of -n")
    parser.add_argument("--explain", action="store_true", help="print each search's plan")
    parser.add_argument(
        "--as", dest="role", choices=sorted(STAFF), default="admin", help="whose search"
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("give a PostgreSQL --database-url (or WALLET_BENCH_PG_URL)")
    os.environ.setdefault("WALLET_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-search-"))
    ok = run(args.database_url, args.awards, args.repeat, args.reuse, args.explain, args.role)
    print("ok" if ok else f"OVER TARGET (page p95 >= {TARGET_MS:.0f} ms)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
