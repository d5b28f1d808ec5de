from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str:
    return "login"


@bp.post("/logout")
def logout() -> str:
    return "logout"
