"""Expiring links to private files under MEDIA_DIR, and the private files themselves.

Some things cannot travel as a message: Zalo takes no uploaded file (a /mydata copy), and a
voice recorded on one platform may not play on another (Telegram's Ogg Opus on Zalo, Zalo's
AAC on Telegram). Those go as a link `<PUBLIC_BASE_URL>/files/<expires>/<token>/<path>`:
the token is the MAC of Loa's one signer (bot/core/signing.py, purpose "files",
MEDIA_URL_SECRET) over the path and the expiry, so a link works for DATA_LINK_HOURS and for
that file only. Links need the web server (WEBHOOK_LISTEN, or WEB_LISTEN when polling).
Private copies made for one person (`private/`) are deleted once their links have expired.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from bot.core.config import Settings
from bot.core.signing import Signer

PRIVATE_DIR = "private"


def links_available(settings: Settings) -> bool:
    """Whether Loa serves links here (a public address and its own web server)."""
    return bool(settings.public_base_url and settings.web_address)


def _signer(settings: Settings) -> Signer:
    return Signer(settings.media_url_secret.get_secret_value(), "files")


def expiring_link(settings: Settings, path: Path, now: datetime) -> str | None:
    """A link to `path` (under MEDIA_DIR) valid for DATA_LINK_HOURS; None when none can work."""
    root = settings.media_dir.resolve()
    source = path.resolve()
    if not links_available(settings) or not source.is_relative_to(root):
        return None
    relative = source.relative_to(root).as_posix()
    expires = int((now + timedelta(hours=settings.data_link_hours)).timestamp())
    base = (settings.public_base_url or "").rstrip("/")
    return f"{base}/files/{expires}/{_signer(settings).mac(relative, expires)}/{quote(relative)}"


def resolve_link(
    settings: Settings, expires: str, token: str, relative: str, now: float | None = None
) -> Path | None:
    """The file a link points to, or None when it expired, was altered or left MEDIA_DIR."""
    if not _signer(settings).verify_mac(
        expires, token, relative, time.time() if now is None else now
    ):
        return None
    root = settings.media_dir.resolve()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def private_file(settings: Settings, suffix: str, data: bytes) -> Path:
    """Write a file made for one person (an unguessable name); it is swept after its links."""
    folder = settings.media_dir / PRIVATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{secrets.token_urlsafe(18)}{suffix}"
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return target


def sweep_private(settings: Settings, now: float | None = None) -> int:
    """Delete private files older than DATA_LINK_HOURS; how many went."""
    folder = settings.media_dir / PRIVATE_DIR
    if not folder.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - settings.data_link_hours * 3600
    removed = 0
    for file in folder.iterdir():
        if file.is_file() and file.stat().st_mtime < cutoff:
            file.unlink(missing_ok=True)
            removed += 1
    return removed
