"""A student's data as one ZIP file to keep: the account, every badge, share settings.

The archive is made of **sections**, each built by one function from an
``ExportContext``: it returns its files and the README's paragraph about them, in
the account's language. ``SECTIONS`` lists them in archive order; a new kind of data
(imported badges, under ``imported/``) is one more builder appended there, with
its paragraph in ``README_TEXTS``. Nothing else changes.

What is in it (the README says the same to the student):

- ``account.json``: name, login address, every address with its verified state,
  language, when the account was created and activated, the terms agreed to, and
  the public profile setting;
- ``badges/``: every badge the student accepted (pending, issued, revoked), each as
  ``NNN name.json`` (its state in the wallet, the hosted assertion exactly as the
  site serves it, its badge class and issuer) and, unless revoked, baked images
  made by the same code as the badge page's downloads (``badge_tools.bake``):
  ``.png`` always, ``.svg`` too for an SVG class image. Private badges are the
  student's as much as public ones, so they are all here;
- ``imported/``: badges imported from other issuers, as received: ``NNN name.json``
  (the wallet's record, its last check, the assertion, badge class and issuer documents
  and a signed badge's JWS) and, for an uploaded image, that image byte for byte;
- ``share_settings.json``: each badge's visibility and share addresses, and the
  public profile's;
- ``README.txt``.

File names come from badge names through ``badge_tools.file_stem`` (no separators,
no ``..``, Japanese kept) behind a running number, so two badges of one name never
collide and no name reaches outside its folder. The archive is built in memory and
refused past ``MAX_EXPORT_BYTES`` of content (``ExportTooLargeError``, raised as soon as the files
made pass it: builders make them with ``ExportContext.file``, which counts); badge
images are at most a few hundred KB each, so that is a wallet of well over a hundred
badges.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from wallet import urls
from wallet.models import Award, AwardState, BadgeClass, ImportedBadge, User
from wallet.services import documents
from wallet.services.badge_tools import bake, baked_formats, file_stem
from wallet.services.blobs import get_blob
from wallet.services.errors import ServiceError

MAX_EXPORT_BYTES = 64 * 1024 * 1024
_MB = 1024 * 1024
# every accepted badge: pending and issued, revoked ones included (``revoked_at``)
EXPORTED_STATES = (AwardState.PENDING, AwardState.ISSUED)


class ExportTooLargeError(ServiceError):
    code = "export_too_large"


@dataclass(frozen=True)
class ExportFile:
    path: str  # inside the archive, "/"-separated; built from safe parts only
    data: bytes


@dataclass(frozen=True)
class ExportSection:
    """What one builder adds: its files and the README's paragraph about them."""

    files: list[ExportFile]
    readme: str


@dataclass
class ExportContext:
    """What every section builder may read. Builders flush nothing and commit nothing."""

    session: Session
    user: User
    base_url: str
    now: datetime
    timezone: str
    max_bytes: int = MAX_EXPORT_BYTES
    awards: list[Award] = field(default_factory=list)  # the exported badges, oldest first
    imports: list[ImportedBadge] = field(default_factory=list)  # oldest import first
    used_bytes: int = 0

    def file(self, path: str, data: bytes) -> ExportFile:
        """A file of the archive, counted against the size bound as it is made, so a
        wallet too large is refused before the rest of it is built."""
        self.used_bytes += len(data)
        if self.used_bytes > self.max_bytes:
            raise ExportTooLargeError(max_mb=self.max_bytes // _MB)
        return ExportFile(path, data)

    @property
    def locale(self) -> str:
        return self.user.locale if self.user.locale in README_TEXTS else "ja"

    def text(self, key: str, **values: object) -> str:
        return README_TEXTS[self.locale][key].format(**values)


SectionBuilder = Callable[[ExportContext], ExportSection]


@dataclass(frozen=True)
class DataExport:
    data: bytes
    filename: str


def _json(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _badge_stem(number: int, award: Award) -> str:
    return f"badges/{number:03d} {file_stem(award.badge_class.name)}"


# -- the sections ------------------------------------------------------------------------


def account_section(context: ExportContext) -> ExportSection:
    user = context.user
    addresses = [
        {
            "email": address.email,
            "verified": address.verified_at is not None,
            "verified_at": _iso(address.verified_at),
            "added_at": _iso(address.created_at),
            "is_login_address": address.email == user.email,
        }
        for address in user.emails
    ]
    account = {
        "name": user.name,
        "login_email": user.email,
        "email_addresses": addresses,
        "language": user.locale,
        "created_at": _iso(user.created_at),
        "activated_at": _iso(user.activated_at),
        "terms": {"version": user.terms_version, "accepted_at": _iso(user.terms_accepted_at)},
        "public_profile": _profile(context),
        "exported_at": _iso(context.now),
    }
    return ExportSection([context.file("account.json", _json(account))], context.text("account"))


def _profile(context: ExportContext) -> dict[str, object]:
    user = context.user
    url = urls.profile(context.base_url, user.profile_id) if user.profile_id else None
    return {"is_public": user.is_profile_public, "url": url}


def badges_section(context: ExportContext) -> ExportSection:
    session, base_url = context.session, context.base_url
    files: list[ExportFile] = []
    for number, award in enumerate(context.awards, start=1):
        stem = _badge_stem(number, award)
        record = _badge_record(session, award, base_url)
        files.append(context.file(f"{stem}.json", _json(record)))
        if award.is_revoked:
            continue  # a revoked badge no longer verifies: its record says why
        for fmt in baked_formats(session, award.badge_class):
            files.append(context.file(f"{stem}.{fmt}", bake(session, award, base_url, fmt).data))
    return ExportSection(files, context.text("badges", count=len(context.awards)))


def _badge_record(session: Session, award: Award, base_url: str) -> dict[str, object]:
    """The badge as the wallet holds it, and its three Open Badges documents exactly as
    the site serves them (a revoked assertion: the 410 body with the reason)."""
    badge = award.badge_class
    hosted = documents.get_assertion_document(session, award.public_id, base_url)
    return {
        "wallet": {
            "name": badge.name,
            "name_en": badge.name_en or None,
            "issuer": badge.issuer.name,
            "state": award.state,
            "is_public": award.is_public,
            "issued_on": _iso(award.issued_on),
            "accepted_at": _iso(award.accepted_at),
            "issued_at": _iso(award.issued_at),
            "expires_at": _iso(award.expires_at),
            "revoked_at": _iso(award.revoked_at),
            "revocation_reason": award.revocation_reason or None,
            "awarded_to": award.recipient_email,
        },
        "assertion": hosted.body,
        "badge_class": documents.badge_class_document(badge, base_url).to_json(),
        "issuer": documents.issuer_profile(badge.issuer, base_url).to_json(),
    }


def _imported_stem(number: int, imported: ImportedBadge) -> str:
    return f"imported/{number:03d} {file_stem(imported.badge_name)}"


_IMAGE_SUFFIXES = {"png": "png", "svg": "svg"}


def imported_section(context: ExportContext) -> ExportSection:
    """Badges from other issuers, as they were received (the wallet made none of it)."""
    files: list[ExportFile] = []
    for number, imported in enumerate(context.imports, start=1):
        stem = _imported_stem(number, imported)
        files.append(context.file(f"{stem}.json", _json(_imported_record(imported))))
        suffix = _IMAGE_SUFFIXES.get(imported.source)
        if imported.source_image_sha256 and suffix:
            image = get_blob(context.session, imported.source_image_sha256).data
            files.append(context.file(f"{stem}.{suffix}", image))
    return ExportSection(files, context.text("imported", count=len(context.imports)))


def _imported_record(imported: ImportedBadge) -> dict[str, object]:
    return {
        "wallet": {
            "name": imported.badge_name,
            "issuer": imported.issuer_name,
            "imported_from": imported.source_url or imported.source,
            "imported_at": _iso(imported.created_at),
            "awarded_to": imported.recipient_email,
            "is_public": imported.is_public,
            "last_check": imported.status,
            "last_checked_at": _iso(imported.checked_at),
            "revocation_reason": imported.revocation_reason or None,
        },
        "assertion": imported.assertion_json,
        "badge_class": imported.badge_json,
        "issuer": imported.issuer_json,
        "signed": imported.signed_jws or None,
    }


def share_settings_section(context: ExportContext) -> ExportSection:
    base_url = context.base_url
    badges = [
        {
            "file": f"{_badge_stem(number, award)}.json",
            "name": award.badge_class.name,
            "is_public": award.is_public,
            "share_url": urls.share(base_url, award.share_id),
            "qr_code_png": urls.share_qr_png(base_url, award.share_id),
            "qr_code_svg": urls.share_qr_svg(base_url, award.share_id),
            "assertion_url": documents.assertion_url(base_url, award),
        }
        for number, award in enumerate(context.awards, start=1)
    ]
    imported = [
        {
            "file": f"{_imported_stem(number, item)}.json",
            "name": item.badge_name,
            "is_public": item.is_public,
            "share_url": urls.share(base_url, item.share_id),
            "qr_code_png": urls.share_qr_png(base_url, item.share_id),
            "qr_code_svg": urls.share_qr_svg(base_url, item.share_id),
        }
        for number, item in enumerate(context.imports, start=1)
    ]
    settings = {"public_profile": _profile(context), "badges": badges, "imported": imported}
    return ExportSection(
        [context.file("share_settings.json", _json(settings))], context.text("share_settings")
    )


# Archive order: a new kind of data is one more builder here and its paragraph in
# README_TEXTS; the README and the size bound follow by themselves.
SECTIONS: tuple[SectionBuilder, ...] = (
    account_section,
    badges_section,
    imported_section,
    share_settings_section,
)


# -- the archive -------------------------------------------------------------------------


def _exported_awards(session: Session, user: User) -> list[Award]:
    return list(
        session.scalars(
            select(Award)
            .options(joinedload(Award.badge_class).joinedload(BadgeClass.issuer))
            .where(Award.user_id == user.id, Award.state.in_(EXPORTED_STATES))
            .order_by(Award.accepted_at, Award.id)
        )
    )


def export_data(
    session: Session,
    user: User,
    base_url: str,
    now: datetime,
    timezone: str,
    *,
    sections: tuple[SectionBuilder, ...] = SECTIONS,
    max_bytes: int | None = None,
) -> DataExport:
    """Everything of ``user``'s as one ZIP file (see the module); ``ExportTooLargeError``
    when the files come to more than ``max_bytes`` (``MAX_EXPORT_BYTES``). Nothing of
    the account changes."""
    limit = MAX_EXPORT_BYTES if max_bytes is None else max_bytes
    context = ExportContext(session, user, base_url, now, timezone, max_bytes=limit)
    context.awards = _exported_awards(session, user)
    context.imports = list(
        session.scalars(
            select(ImportedBadge)
            .where(ImportedBadge.user_id == user.id)
            .order_by(ImportedBadge.created_at, ImportedBadge.id)
        )
    )
    built = [build(context) for build in sections]
    files = [context.file("README.txt", _readme(context, built))]
    files += [file for section in built for file in section.files]
    for file in files:
        _check_path(file.path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in files:
            info = zipfile.ZipInfo(file.path, date_time=_local(now, timezone))
            # images are compressed already; text shrinks well
            is_text = file.path.endswith((".json", ".txt", ".svg"))
            info.compress_type = zipfile.ZIP_DEFLATED if is_text else zipfile.ZIP_STORED
            archive.writestr(info, file.data)
    day = now.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d")
    return DataExport(buffer.getvalue(), f"openbadge-wallet-{day}.zip")


def _check_path(path: str) -> None:
    """A section's path stays inside the archive when unzipped (a builder's bug, not the
    student's input: badge names reach paths only through ``file_stem``)."""
    parts = path.split("/")
    unsafe = path.startswith("/") or "\\" in path or ":" in path or not all(parts)
    if unsafe or any(part in {".", ".."} for part in parts):
        raise ValueError(f"unsafe path in the export: {path!r}")


def _local(now: datetime, timezone: str) -> tuple[int, int, int, int, int, int]:
    local = now.astimezone(ZoneInfo(timezone))
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


def _readme(context: ExportContext, sections: list[ExportSection]) -> bytes:
    local = context.now.astimezone(ZoneInfo(context.timezone))
    head = context.text(
        "title",
        name=context.user.name,
        email=context.user.email,
        when=local.strftime("%Y-%m-%d %H:%M"),
        timezone=context.timezone,
    )
    parts = [head, *(section.readme for section in sections), context.text("footer")]
    # CRLF: Notepad on older Windows shows a file of bare LFs as one line
    return ("\n\n".join(parts) + "\n").replace("\n", "\r\n").encode("utf-8-sig")


README_TEXTS: dict[str, dict[str, str]] = {
    "ja": {
        "title": (
            "オープンバッジ ウォレット：あなたのデータ\n"
            "{name}（{email}）のデータを {when}（{timezone}）に書き出しました。\n"
            "このファイルの一覧と、それぞれの中身を説明します。"
        ),
        "account": (
            "account.json\n"
            "  アカウントの情報：氏名、ログインに使うメールアドレス、登録したすべてのメール"
            "アドレス（確認済みかどうか）、表示言語、アカウントの作成日時、同意した利用規約の"
            "版、公開プロフィールの設定。"
        ),
        "badges": (
            "badges/（{count} 件）\n"
            "  受け取ったバッジ（発行手続き中・失効したものを含み、非公開のものも含みます）。"
            "1つのバッジにつき、番号とバッジ名のファイルがあります。\n"
            "  ・.png：バッジ画像。オープンバッジ 2.0 の発行記録が埋め込まれています"
            "（ベイク済み画像）。他のウォレットや検証サービスにそのままアップロードでき、"
            "アカウントがなくても本物であることを確かめられます。\n"
            "  ・.svg：バッジ画像が SVG のとき、同じ内容の SVG 版。\n"
            "  ・.json：バッジの記録。ウォレットでの状態（公開・非公開、受け取った日、有効期限、"
            "失効の理由など）と、大学が公開している発行記録（assertion）、バッジの定義"
            "（badge_class）、発行者（issuer）をそのまま収めています。\n"
            "  失効したバッジは検証に通らないため、.json だけが入っています。\n"
            "  発行記録には氏名は含まれず、メールアドレスはハッシュ化されています。"
        ),
        "imported": (
            "imported/（{count} 件）\n"
            "  ほかの発行者から取り込んだバッジ。受け取ったときのまま収めています。\n"
            "  ・.json：ウォレットでの記録（取り込んだ日、最後に確かめた結果とその日時、"
            "公開・非公開）と、発行者の発行記録（assertion）、バッジの定義（badge_class）、"
            "発行者（issuer）、署名付きバッジならその署名（signed）。\n"
            "  ・.png / .svg：画像をアップロードして取り込んだバッジは、その画像をそのまま。\n"
            "  これらのバッジが本物かどうかは、それぞれの発行者の記録で確かめられます。"
        ),
        "share_settings": (
            "share_settings.json\n"
            "  共有の設定：バッジごとの公開・非公開、共有ページのアドレス、QRコードのアドレス、"
            "発行記録のアドレス、公開プロフィールのアドレス。非公開のバッジの共有ページは、"
            "ログインしたあなた以外には表示されません。"
        ),
        "footer": (
            "README.txt\n"
            "  このファイルです。\n\n"
            "JSON ファイルは UTF-8 のテキストで、日時は UTC（ISO 8601）で記録しています。"
        ),
    },
    "en": {
        "title": (
            "Open Badge Wallet: your data\n"
            "Exported for {name} ({email}) on {when} ({timezone}).\n"
            "This file lists the files in the archive and says what each one holds."
        ),
        "account": (
            "account.json\n"
            "  Your account: your name, the address you log in with, every email address "
            "you added (and whether it is verified), your language, when the account was "
            "created, the version of the terms you agreed to, and your public profile setting."
        ),
        "badges": (
            "badges/ ({count})\n"
            "  Every badge you accepted, including those still being issued, revoked ones "
            "and private ones. Each badge has files named with a number and the badge's "
            "name:\n"
            "  - .png: the badge image with its Open Badges 2.0 record baked in. Upload it "
            "to another wallet or to any verifier: it shows that the badge is genuine, with "
            "no account needed.\n"
            "  - .svg: the same as an SVG image, for badges whose image is SVG.\n"
            "  - .json: the badge's record: its state in your wallet (public or private, "
            "when you accepted it, expiry, revocation and its reason) and the university's "
            "published documents as they are served: the assertion, the badge class and "
            "the issuer.\n"
            "  A revoked badge no longer verifies, so it has only its .json file.\n"
            "  The published record holds no name; your address appears in it only hashed."
        ),
        "imported": (
            "imported/ ({count})\n"
            "  Badges you imported from other issuers, as they were received:\n"
            "  - .json: the wallet's record (when you imported it, the last check and when "
            "it ran, public or private) and the issuer's documents: the assertion, the badge "
            "class, the issuer and, for a signed badge, its signature (signed).\n"
            "  - .png / .svg: for a badge imported from an image, that image unchanged.\n"
            "  Each issuer's own records show whether these badges are genuine."
        ),
        "share_settings": (
            "share_settings.json\n"
            "  How your badges are shared: for each badge, public or private, the "
            "addresses of its share page, its QR codes and its published record; and the "
            "address of your public profile. The share page of a private badge shows only "
            "to you, logged in."
        ),
        "footer": (
            "README.txt\n"
            "  This file.\n\n"
            "The JSON files are UTF-8 text; times in them are in UTC (ISO 8601)."
        ),
    },
}
