"""The Zalo driver: the real adapter against the fake Zalo Bot API and its CDN, over HTTP."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from bot.core.config import Settings
from tests.channels.driver import ApiDriver, Mode, Shown, numbered
from tests.fakes.common import Call, Json
from tests.fakes.zalo import SECRET_HEADER, TOKEN, FakeZalo

USER = "6ede9afa66b88fe6d6a9"
SECRET = "zalo-webhook-secret-0042-0123456789abc"


class ZaloDriver(ApiDriver):
    """Ted on Zalo: numbered text menus, one image per message, no retry_after."""

    name = "zalo"
    text_limit = 2000
    token_variable = "ZALO_TOKEN"
    secret_header = SECRET_HEADER
    gives_retry_after = False
    lacks: ClassVar[Mapping[str, str]] = {
        "albums": "Zalo sends one image per message; there are no albums"
    }
    user = USER
    fake_server = FakeZalo
    fake: FakeZalo

    def mode_settings(self, mode: Mode, port: int) -> dict[str, object]:
        """Polling the fake, or listening on `port` for its webhook (and serving media)."""
        values: dict[str, object] = {"zalo_token": TOKEN, "zalo_api_base": self.fake.url}
        # Webhooks come in Zalo's documented envelope; getUpdates hands them out flat.
        self.fake.wrap_webhooks = mode == "webhook"
        if mode == "webhook":
            values |= {
                "webhook_listen": f"127.0.0.1:{port}",
                "zalo_webhook_url": f"http://127.0.0.1:{port}/webhook/zalo",
                "zalo_webhook_secret": SECRET,
                "public_base_url": f"http://127.0.0.1:{port}",
            }
        return values

    def bad_token(self) -> dict[str, object]:
        """Settings with a token Zalo refuses."""
        return {"zalo_token": "3141592653589793:not-the-token"}

    def update(self, text: str) -> Json:
        """A fresh text message."""
        return self.fake.message(USER, "message.text.received", text=text)

    def from_group(self, text: str) -> Json:
        """A message in a group (Zalo's groups are in beta)."""
        update = self.update(text)
        update["message"]["chat"] = {"id": "g1", "chat_type": "GROUP"}
        return update

    def from_bot(self, text: str) -> Json:
        """A message from a bot (or Loa's own, echoed back)."""
        update = self.fake.message("b0b", "message.text.received", text=text)
        update["message"]["from"]["is_bot"] = True
        return update

    def not_messages(self) -> list[Any]:
        """Events of no message, and bodies without one."""
        return [{"event_name": "user.follow"}, {"message": "x"}, [1, 2]]

    async def pick(self, label: str) -> None:
        """Type the number of the menu line labelled `label`."""
        await self.say(self.number(label))

    async def photo(self, pictures: Sequence[bytes], caption: str = "") -> str | None:
        """An image on Zalo's CDN (one: Zalo has no albums)."""
        (picture,) = pictures
        update = self.fake.image(USER, self.fake.host(picture), caption=caption)
        return str(update["message"]["message_id"])

    async def voice(self, data: bytes) -> None:
        """A voice message (AAC on the CDN)."""
        self.fake.voice(USER, self.fake.host(data, "audio/aac"))

    async def sticker(self) -> None:
        """A sticker."""
        self.fake.sticker(USER)

    async def unsupported(self) -> None:
        """What Zalo does not pass on (a protected sender, a file, a video…)."""
        self.fake.unsupported(USER)

    def shown(self, call: Call) -> Shown:
        """The text (or photo caption), its numbered lines as the menu."""
        text = str(call.params.get("text") or call.params.get("caption") or "")
        return Shown(text, numbered(text))


def polling(settings: Settings, fake: FakeZalo, **extra: object) -> Settings:
    """Settings for polling the fake Zalo (`extra` changes them)."""
    return ZaloDriver(settings, "polling", fake).settings(**extra)


def webhook(settings: Settings, fake: FakeZalo, **extra: object) -> Settings:
    """Settings for Zalo webhooks to Loa, registered with the fake, media served."""
    return ZaloDriver(settings, "webhook", fake).settings(**extra)
