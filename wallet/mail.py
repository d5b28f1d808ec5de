"""Render ``templates/mail/<name>/`` into messages and send them (SMTP or outbox folder)."""

from __future__ import annotations
