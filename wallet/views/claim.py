from __future__ import annotations

from flask import Blueprint

bp = Blueprint("claim", __name__)
