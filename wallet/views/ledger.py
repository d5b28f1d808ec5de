"""``/ledger``: our public transparency log, as pages for people and JSON for machines."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, Response, abort, render_template, request

from wallet import urls
from wallet.services.anchoring import log, published
from wallet.services.errors import NotFoundError
from wallet.views.common import app_settings, read_session

bp = Blueprint("ledger", __name__)


def _json(body: object, status: int = 200, max_age: int = 60) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "")
    if not value:
        return default
    if not value.isdigit() or len(value) > 12:
        abort(_json({"error": "bad_request", "parameter": name}, 400))
    return int(value)


@bp.get("/ledger")
def index() -> str:
    session, base_url = read_session(), app_settings().base_url
    return render_template(
        "ledger/index.html",
        summary=published.summary(session, base_url),
        entries=log.latest_entries(session, 50),
        keys=log.published_keys(session),
        json_url=urls.ledger_json(base_url),
    )


@bp.get("/ledger.json")
def summary_json() -> Response:
    settings = app_settings()
    return _json(published.summary(read_session(), settings.base_url))


@bp.get("/ledger/entries.json")
def entries_json() -> Response:
    start = _int_arg("start", 0)
    limit = _int_arg("limit", published.MAX_ENTRIES_PER_PAGE)
    try:
        page = published.entries_page(read_session(), app_settings().base_url, start, limit)
    except published.BadRangeError:
        return _json({"error": "bad_range", "max_limit": published.MAX_ENTRIES_PER_PAGE}, 400)
    return _json(page)


@bp.get("/ledger/checkpoints.json")
def checkpoints_json() -> Response:
    return _json(published.checkpoints_json(read_session(), app_settings().base_url))


@bp.get("/ledger/consistency.json")
def consistency_json() -> Response:
    old, new = _int_arg("from", 0), _int_arg("to", 0)
    try:
        body = published.consistency_json(read_session(), app_settings().base_url, old, new)
    except published.BadRangeError:
        return _json({"error": "bad_range"}, 400)
    return _json(body, max_age=3600)


@bp.get("/ledger/entries/<int(min=0):index>/proof.json")
def entry_json(index: int) -> Response:
    try:
        body = published.entry_json(read_session(), app_settings().base_url, index)
    except NotFoundError:
        return _json({"error": "not_found"}, 404)
    return _json(body)


@bp.get("/ledger/entries/<int(min=0):index>")
def entry(index: int) -> str:
    session, base_url = read_session(), app_settings().base_url
    try:
        body = published.entry_json(session, base_url, index)
    except NotFoundError:
        abort(404)
    anchored_at = (body.get("batch") or {}).get("anchored_at")
    return render_template(
        "ledger/entry.html",
        entry=body,
        anchored_at=datetime.fromisoformat(anchored_at) if anchored_at else None,
        json_url=urls.ledger_entry_json(base_url, index),
        size=log.size(session),
    )
