"""Sending to OA users: customer-service ("tin tư vấn") messages inside the reply window.

Text goes in parts of at most ZALO_OA_TEXT_LIMIT characters, cut at paragraphs, then at the
ends of sentences, then at words; menus are numbered lines as on the Bot Platform (the OA CS
API documents no buttons for v3). Images go as an uploaded attachment id (≤ 1 MB; reused for
ZALO_OA_UPLOAD_DAYS, uploaded again when Zalo says the id expired) or else by a signed URL
under PUBLIC_BASE_URL; documents as an uploaded file token (≤ 5 MB, PDF/DOC/DOCX) or else as
a link; recordings as a link (the CS API has no audio message).

The reply window is checked before anything is sent: a user who last interacted more than
ZALO_OA_WINDOW_DAYS ago cannot be reached (outcome `outside_window`, counted apart by the
outbox); between ZALO_OA_FREE_HOURS and that, a message is billed and goes only when
ZALO_OA_SEND_BILLED allows it. A reminder outside the window goes as the ZBS template when one
is configured.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.channels.base import (
    CallError,
    DeliveryResult,
    FailureKind,
    RetryPolicy,
    Tally,
    deliver_counted,
)
from bot.channels.files import PublicFiles
from bot.channels.zalo import numbered
from bot.channels.zalo_oa.api import ID_EXPIRED, OAClient, OAError, call_api
from bot.core.chat import AttachmentKind, Reply, split_text, text_length, to_plain
from bot.core.config import Settings
from bot.delivery.outbox import DeliveryStatus, RateLimiter, sending_kind
from db.repositories import Repos
from db.session import Database

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
CS = "v3.0/oa/message/cs"
TEMPLATE = "v3.0/oa/message/template"
UPLOAD_IMAGE = "v2.0/oa/upload/image"
UPLOAD_FILE = "v2.0/oa/upload/file"
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")

Json = dict[str, Any]


def split_sentences(text: str, limit: int) -> list[str]:
    """`text` in parts of at most `limit` UTF-16 units: whole paragraphs where they fit, else
    whole sentences, else words (a word longer than the limit is cut)."""
    if not text:
        return []
    if text_length(text) <= limit:
        return [text]
    pieces: list[tuple[str, str]] = []  # (piece, the separator that joins it to the one before)
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if text_length(paragraph) <= limit:
            pieces.append((paragraph, "\n\n"))
            continue
        for n, sentence in enumerate(_SENTENCE_END.split(paragraph)):
            joiner = "\n\n" if n == 0 else " "
            for m, part in enumerate(split_text(sentence, limit)):
                pieces.append((part, joiner if m == 0 else " "))
    parts: list[str] = []
    current = ""
    for piece, joiner in pieces:
        joined = f"{current}{joiner}{piece}" if current else piece
        if text_length(joined) <= limit:
            current = joined
            continue
        parts.append(current)
        current = piece
    if current:
        parts.append(current)
    return parts


class Window:
    """Where a user stands in the reply window, from their last interaction."""

    free = "free"
    billed = "billed"
    closed = "closed"
    unknown = "unknown"


class OASender:
    """Delivers replies and outbox messages to OA users."""

    channel = CHANNEL

    def __init__(
        self,
        client: OAClient,
        policy: RetryPolicy,
        files: PublicFiles,
        db: Database,
        settings: Settings,
        now: Callable[[], datetime],
        limiter: RateLimiter | None = None,
    ) -> None:
        self.client = client
        self.policy = policy
        self.files = files
        self.db = db
        self.settings = settings
        self.now = now
        self.limiter = limiter
        self._uploads: dict[tuple[str, float, int], tuple[str, float]] = {}

    # --- the window

    async def window(self, user_id: str) -> Window | str:
        """The user's place in the reply window now."""
        async with self.db.session() as session:
            last = await Repos.of(session).windows.last(CHANNEL, user_id)
        if last is None:
            return Window.unknown
        age = self.now() - last
        if age < timedelta(hours=self.settings.zalo_oa_free_hours):
            return Window.free
        if age < timedelta(days=self.settings.zalo_oa_window_days):
            return Window.billed
        return Window.closed

    # --- delivering

    async def deliver(self, chat_id: str, reply: Reply) -> DeliveryResult:
        """Send `reply` to the OA user `chat_id` (checked against the window first)."""
        window = await self.window(chat_id)
        if window == Window.closed or (
            window == Window.billed and not self.settings.zalo_oa_send_billed
        ):
            if sending_kind() == "reminder" and self.settings.zalo_oa_template_id:
                return await deliver_counted(lambda tally: self._template(chat_id, reply, tally))
            return DeliveryResult(
                DeliveryStatus.outside_window,
                error=f"outside the reply window ({window}): the user has to write first",
            )

        async def send(tally: Tally) -> None:
            text = numbered(reply)
            for part in split_sentences(text, self.settings.zalo_oa_text_limit):
                await self._cs(chat_id, {"text": part}, tally)
            await self._attachment(chat_id, reply, tally)

        return await deliver_counted(send)

    async def _cs(self, chat_id: str, message: Json, tally: Tally) -> Json:
        if self.limiter is not None:
            await self.limiter.acquire(chat_id)
        body = {"recipient": {"user_id": chat_id}, "message": message}
        return await call_api(self.client, CS, self.policy, tally, body=body)

    async def _template(self, chat_id: str, reply: Reply, tally: Tally) -> None:
        """The reminder as the configured ZBS template, sent by user id (⚠ shape)."""
        values = {
            "text": to_plain(reply.text).strip(),
            "date": f"{self.now().astimezone(self.settings.tz):%d/%m/%Y}",
        }
        most = self.settings.zalo_oa_template_value_max
        data = {
            name: _fill(pattern, values)[:most]
            for name, pattern in self.settings.zalo_oa_template_data.items()
        }
        body = {
            "user_id": chat_id,
            "template_id": self.settings.zalo_oa_template_id,
            "template_data": data,
        }
        if self.limiter is not None:
            await self.limiter.acquire(chat_id)
        await call_api(self.client, TEMPLATE, self.policy, tally, body=body)

    # --- attachments

    async def _attachment(self, chat_id: str, reply: Reply, tally: Tally) -> None:
        attachment = reply.attachment
        if attachment is None:
            return
        caption = to_plain(attachment.caption).strip()
        if attachment.kind in (AttachmentKind.audio, AttachmentKind.voice):
            path = attachment.variant(".m4a", ".aac", ".mp3", ".ogg") or attachment.path
            await self._link(chat_id, path, caption, tally)
            return
        path = attachment.path
        if not path.is_file():
            log.warning("attachment %s is missing; sent the text only", path)
            return
        size = path.stat().st_size
        if attachment.kind is AttachmentKind.photo:
            if size <= self.settings.zalo_oa_image_max_bytes:
                await self._uploaded_image(chat_id, path, caption, tally)
                return
            url = await asyncio.to_thread(self.files.url_for, path)
            if url is None:
                log.info("zalo_oa: %s is over the upload limit and no PUBLIC_BASE_URL", path.name)
                return
            await self._cs(chat_id, _image({"url": url}, caption), tally)
            return
        mime = FILE_TYPES.get(path.suffix.lower())
        if mime is not None and size <= self.settings.zalo_oa_file_max_bytes:
            if caption:
                await self._cs(chat_id, {"text": caption}, tally)
            data = await asyncio.to_thread(path.read_bytes)
            uploaded = await call_api(
                self.client, UPLOAD_FILE, self.policy, tally, upload=(path.name, data, mime)
            )
            token = str(uploaded.get("token") or "")
            message = {"attachment": {"type": "file", "payload": {"token": token}}}
            await self._cs(chat_id, message, tally)
            return
        await self._link(chat_id, path, caption, tally)

    async def _uploaded_image(self, chat_id: str, path: Path, caption: str, tally: Tally) -> None:
        for attempt in (1, 2):
            attachment_id = await self._image_id(path, tally, fresh=attempt == 2)
            try:
                await self._cs(chat_id, _image({"attachment_id": attachment_id}, caption), tally)
                return
            except CallError as failure:
                expired = isinstance(failure.__cause__, OAError) and (
                    failure.__cause__.code in ID_EXPIRED
                )
                if not expired or attempt == 2:
                    raise
                log.info("zalo_oa: uploaded image id expired; uploading %s again", path.name)

    async def _image_id(self, path: Path, tally: Tally, *, fresh: bool) -> str:
        stat = await asyncio.to_thread(path.stat)
        key = (str(path), stat.st_mtime, stat.st_size)
        cached = self._uploads.get(key)
        keep = self.settings.zalo_oa_upload_days * 86400
        if cached is not None and not fresh and time.monotonic() - cached[1] < keep:
            return cached[0]
        # Uploaded as published: an EXIF-free copy (never a location).
        relative = await asyncio.to_thread(self.files.publish, path)
        data = await asyncio.to_thread((self.files.root / relative).read_bytes)
        mime = "image/png" if relative.lower().endswith(".png") else "image/jpeg"
        uploaded = await call_api(
            self.client, UPLOAD_IMAGE, self.policy, tally, upload=(path.name, data, mime)
        )
        attachment_id = str(uploaded.get("attachment_id") or "")
        if not attachment_id:
            raise CallError(FailureKind.rejected, "upload/image answered without attachment_id")
        self._uploads[key] = (attachment_id, time.monotonic())
        return attachment_id

    async def _link(self, chat_id: str, path: Path, caption: str, tally: Tally) -> None:
        lifetime = self.settings.document_link_hours * 3600
        url = await asyncio.to_thread(self.files.url_for, path, valid_for=lifetime)
        if url is None:
            log.info("zalo_oa: no PUBLIC_BASE_URL; %s not sent", path.name)
            return
        await self._cs(chat_id, {"text": f"{caption or path.name}\n{url}"}, tally)


def _image(element: Json, caption: str) -> Json:
    message: Json = {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "media",
                "elements": [{"media_type": "image", **element}],
            },
        }
    }
    if caption:
        message["text"] = caption
    return message


def _fill(pattern: str, values: dict[str, str]) -> str:
    """`pattern` with {text} and {date} filled in; unknown braces are left as written."""
    out = pattern
    for name, value in values.items():
        out = out.replace("{" + name + "}", value)
    return out
