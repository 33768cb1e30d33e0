"""The Telegram driver: the real aiogram-based adapter against the fake Bot API, over HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.config import Settings
from tests.channels.driver import ApiDriver, Mode, Shown
from tests.fakes.common import Call, Json
from tests.fakes.telegram import SECRET_HEADER, TOKEN, FakeTelegram, parse_html

USER = 5550001
SECRET = "webhook-secret_42-0123456789abcdefghij"


class TelegramDriver(ApiDriver):
    """Y Blong on Telegram: inline keyboards, albums, voice notes, retry_after on 429."""

    name = "telegram"
    text_limit = 4096
    token_variable = "TELEGRAM_TOKEN"
    secret_header = SECRET_HEADER
    gives_retry_after = True
    user = USER
    fake_server = FakeTelegram
    fake: FakeTelegram

    def mode_settings(self, mode: Mode, port: int) -> dict[str, object]:
        """Polling the fake, or listening on `port` for its webhook."""
        values: dict[str, object] = {"telegram_token": TOKEN, "telegram_api_base": self.fake.url}
        if mode == "webhook":
            values |= {
                "webhook_listen": f"127.0.0.1:{port}",
                "telegram_webhook_url": f"http://127.0.0.1:{port}/webhook/telegram",
                "telegram_webhook_secret": SECRET,
            }
        return values

    def bad_token(self) -> dict[str, object]:
        """Settings with a token Telegram refuses."""
        return {"telegram_token": "4242424242:not-the-token"}

    def update(self, text: str) -> Json:
        """A fresh message update."""
        return self.fake.unsent(USER, text=text)

    def from_group(self, text: str) -> Json:
        """A message in a group."""
        update = self.fake.unsent(USER, text=text)
        update["message"]["chat"] = {"id": -42, "type": "group"}
        return update

    def from_bot(self, text: str) -> Json:
        """A message from a bot, in its private chat."""
        update = self.fake.unsent(777, "B", text=text)
        update["message"]["from"]["is_bot"] = True
        return update

    def not_messages(self) -> list[Any]:
        """Edits, channel posts, and updates that do not parse."""
        private, channel = {"id": USER, "type": "private"}, {"id": -100, "type": "channel"}
        return [
            self.fake.update(edited_message={"message_id": 1, "date": 0, "chat": private}),
            self.fake.update(channel_post={"message_id": 2, "date": 0, "chat": channel}),
            {"update_id": "not-a-number"},
            self.fake.update(message="garbage"),
        ]

    async def pick(self, label: str) -> None:
        """Tap the inline button labelled `label`."""
        self.fake.press(USER, self.fake.button(USER, label))

    async def photo(self, pictures: Sequence[bytes], caption: str = "") -> str | None:
        """One photo, or an album (items sharing a media_group_id, caption on the first)."""
        album = {"media_group_id": "album-1"} if len(pictures) > 1 else {}
        updates = [
            self.fake.photo(USER, picture, caption=caption if index == 0 else None, **album)
            for index, picture in enumerate(pictures)
        ]
        return str(updates[0]["update_id"])

    async def voice(self, data: bytes) -> None:
        """A voice note."""
        voice_id = self.fake.store_file(data, extension="oga")
        self.fake.send(USER, voice={"file_id": voice_id, "file_unique_id": "v", "duration": 2})

    async def sticker(self) -> None:
        """A sticker."""
        sticker = {"file_id": "CAAC-sticker", "file_unique_id": "s", "type": "regular",
                   "width": 512, "height": 512, "is_animated": False, "is_video": False,
                   "emoji": "👍"}  # fmt: skip
        self.fake.send(USER, sticker=sticker)

    async def unsupported(self) -> None:
        """A video (Loa has no use for one)."""
        self.fake.send(USER, video={"file_id": "BAAC", "file_unique_id": "v", "width": 1,
                                    "height": 1, "duration": 1})  # fmt: skip

    def shown(self, call: Call) -> Shown:
        """The text or caption as Telegram shows it, and the buttons under it."""
        raw = str(call.params.get("text") or call.params.get("caption") or "")
        text = parse_html(raw) if call.params.get("parse_mode") == "HTML" else raw
        markup: Any = call.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or [] if isinstance(markup, dict) else []
        return Shown(text, tuple(str(button["text"]) for row in rows for button in row))


def polling(settings: Settings, fake: FakeTelegram, **extra: object) -> Settings:
    """Settings for polling the fake Telegram (`extra` changes them)."""
    return TelegramDriver(settings, "polling", fake).settings(**extra)
