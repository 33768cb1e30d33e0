"""The Zalo OA driver: the real adapter against the fake OA API, OAuth server and CDN.

The contract suite speaks in Bot API terms; this driver translates: a "sendMessage" is a CS
send, an injected 429 is the OA's -32 and a 403 its -217 (blocked), and back again when the
suite reads the statuses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from bot.app import Loa
from bot.core.config import Settings
from tests.channels.driver import ApiDriver, Mode, Shown, numbered
from tests.fakes.common import Call, Json
from tests.fakes.runtime import running
from tests.fakes.zalo_oa import (
    APP_ID,
    APP_SECRET,
    OA_ID,
    OA_SECRET,
    SIGNATURE,
    FakeZaloOA,
    message,
    signature,
    uid,
)

USER = "6142494823123456789"
BACK = {-32: 429, -217: 403}  # the OA's codes in the suite's terms


class ZaloOADriver(ApiDriver):
    """A villager who follows the commune's OA: numbered text menus, webhooks only."""

    name = "zalo_oa"
    modes = ("webhook",)
    text_limit = 2000
    token_variable = "ZALO_OA_REFRESH_TOKEN"
    secret_header = SIGNATURE
    gives_retry_after = False
    lacks: ClassVar[Mapping[str, str]] = {
        "albums": "the OA posts one event per image; there are no albums",
        "polling": "the OA Open API has no polling: webhooks only",
        "token": (
            "a refused OA token must not stop Loa (under a service manager that is a crash "
            "loop): it alerts the operator and keeps storing webhooks (tests/channels/"
            "test_zalo_oa.py)"
        ),
    }
    user = USER
    fake_server = FakeZaloOA
    fake: FakeZaloOA

    def mode_settings(self, mode: Mode, port: int) -> dict[str, object]:
        """Listening on `port` for the OA's webhook, seeded with the fake's first pair."""
        access, refresh = self.fake.first_pair
        return {
            "zalo_oa_app_id": APP_ID,
            "zalo_oa_app_secret": APP_SECRET,
            "zalo_oa_secret_key": OA_SECRET,
            "zalo_oa_access_token": access,
            "zalo_oa_refresh_token": refresh,
            "zalo_oa_api_base": self.fake.url,
            "zalo_oa_oauth_base": self.fake.url,
            "zalo_oa_rate_per_second": 0.0,
            "webhook_listen": f"127.0.0.1:{port}",
            "public_base_url": f"http://127.0.0.1:{port}",
        }

    @asynccontextmanager
    async def running(
        self, loa: Loa, *, mode: Mode | None = None, register: bool = True, **overrides: Any
    ) -> AsyncIterator[None]:
        """The runtime with the OA channel; `register`: the OA's console points at Loa."""
        self.config = self.settings(mode, **overrides)
        async with running(self.config, loa) as runtime:
            self.runtime = runtime
            if register:
                self.fake.connect(self.webhook_url)
            try:
                yield
            finally:
                self.fake.connect("")

    @property
    def webhook_url(self) -> str:
        """POST /webhook/zalo-oa."""
        return f"http://{self.config.webhook_listen}/webhook/zalo-oa"

    @property
    def secret(self) -> str:
        """The OA secret key that signs deliveries."""
        return OA_SECRET

    def signed(self, data: bytes, body: Json | None, secret: str | None) -> dict[str, str]:
        """`X-ZEvent-Signature` made with `secret` as the OA secret key (None: unsigned)."""
        if secret is None:
            return {}
        return {SIGNATURE: signature(data, str((body or {}).get("timestamp", "")), key=secret)}

    def bad_token(self) -> dict[str, object]:
        """A pair the OAuth server never issued."""
        return {"zalo_oa_access_token": "not-the-token", "zalo_oa_refresh_token": "not-the-token"}

    def update(self, text: str) -> Json:
        """A fresh text message."""
        return self.fake.event(USER, "user_send_text", text=text)

    def from_group(self, text: str) -> Json:
        """A message in a group chat (GMF) the OA is in."""
        return self.fake.event(USER, "user_send_group_text", text=text)

    def from_bot(self, text: str) -> Json:
        """The OA's own message, echoed back (sender and recipient swapped)."""
        update = self.fake.event(OA_ID, "oa_send_text", text=text)
        update["recipient"] = {"id": USER}
        return update

    def not_messages(self) -> list[Any]:
        """Receipts, management events, and bodies that are no event."""
        seen = self.fake.event(USER, "user_seen_message")
        seen["sender"] = {"id": OA_ID}
        return [
            seen,
            self.fake.event(USER, "user_received_message"),
            {"event_name": "add_user_to_tag", "timestamp": "1", "user_id": uid()},
            {"message": "x", "timestamp": "2"},
        ]

    async def pick(self, label: str) -> None:
        """Type the number of the menu line labelled `label`."""
        await self.say(self.number(label))

    async def photo(self, pictures: Sequence[bytes], caption: str = "") -> str | None:
        """An image on Zalo's CDN, its caption in `message.text`."""
        (picture,) = pictures
        url = self.fake.host(picture)
        update = self.fake.attachment(USER, "user_send_image", "image", url, caption)
        return str(update["message"]["msg_id"])

    async def voice(self, data: bytes) -> None:
        """A voice message (AAC on the CDN)."""
        url = self.fake.host(data, "audio/aac")
        self.fake.attachment(USER, "user_send_audio", "audio", url)

    async def sticker(self) -> None:
        """A sticker."""
        url = "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=46991"
        self.fake.attachment(USER, "user_send_sticker", "sticker", url)

    async def unsupported(self) -> None:
        """A video, which Loa cannot use."""
        self.fake.attachment(USER, "user_send_video", "video", "https://video.zdn.vn/v.mp4")

    def shown(self, call: Call) -> Shown:
        """The text (or image caption), its numbered lines as the menu."""
        text = str(message(call).get("text") or "")
        return Shown(text, numbered(text))

    def statuses(self, method: str) -> list[int]:
        """Each call's outcome in the suite's terms (200, 429, 403, 5xx)."""
        return [BACK.get(call.status, call.status) for call in self.fake.called(method)]


def oa_settings(settings: Settings, fake: FakeZaloOA, **extra: object) -> Settings:
    """Settings for the OA channel against `fake` (`extra` changes them)."""
    return ZaloOADriver(settings, "webhook", fake).settings(**extra)
