from __future__ import annotations

from flask import Blueprint

bp = Blueprint("wallet", __name__, url_prefix="/wallet")


@bp.get("")
def index() -> str:
    return "wallet"
