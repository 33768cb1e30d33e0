"""A recorded topic through the real channel adapters and the fake Bot APIs, over HTTP.

Telegram uploads the Ogg Opus recording as a voice note; Zalo, which cannot take uploads, gets
the AAC version as a URL under PUBLIC_BASE_URL and fetches it. Both choose their encoding from
the reply's attachment (`Attachment.variant`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.app import Loa
from bot.core.config import ROOT, Settings
from tests import audio_samples as samples
from tests.channels.telegram import USER, TelegramDriver
from tests.channels.zalo import ZaloDriver
from tests.fakes.runtime import running
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo


def recorded_content(tmp_path: Path) -> Path:
    """content/ with the contacts page recorded in Ogg Opus, M4A and AAC."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    samples.write(content / "vi" / "lien-he.ogg", samples.ogg_opus(42))
    samples.write(content / "vi" / "lien-he.m4a", samples.m4a(42))
    samples.write(content / "vi" / "lien-he.aac", samples.adts(42))
    return content


async def test_telegram_sends_the_recording_as_a_voice_note(
    settings: Settings, loa: Loa, tg: FakeTelegram, tmp_path: Path
) -> None:
    content = recorded_content(tmp_path)
    # A Loa of its own (not the `loa` fixture's): it reads the recorded content.
    async with running(TelegramDriver(settings, "polling", tg).settings(content_dir=content)):
        await TelegramDriver(settings, "polling", tg).choose_vietnamese()
        tg.press(USER, tg.button(USER, "Liên hệ"))
        await tg.wait_for(lambda: "Nghe đọc" in str(tg.keyboard(USER)))
        tg.press(USER, tg.button(USER, "Nghe đọc"))
        await tg.wait_for(lambda: tg.called("sendVoice"))
    voice = tg.called("sendVoice")[0]
    assert (content / "vi" / "lien-he.ogg").read_bytes() in voice.files.values()
    assert "Liên hệ cơ quan phụ trách" in str(voice.params.get("caption", "")) + " ".join(
        tg.texts(USER)
    )


async def test_zalo_sends_the_recording_as_an_aac_url(
    settings: Settings, loa: Loa, zl: FakeZalo, tmp_path: Path
) -> None:
    content = recorded_content(tmp_path)
    user = ZaloDriver(settings, "webhook", zl)
    config = user.settings(content_dir=content)
    async with running(config):
        await user.choose_vietnamese()
        await user.pick("Liên hệ")
        await zl.wait_for(lambda: "🔊 Nghe đọc" in str(user.menu()))
        await user.pick("Nghe đọc")
        await zl.wait_for(lambda: zl.called("sendVoice"), 3)
    voice = zl.called("sendVoice")[0]
    url = str(voice.params["voice_url"])
    assert url.startswith(f"{config.public_base_url}/media/") and url.endswith(".aac")
    assert zl.fetched[url] == (content / "vi" / "lien-he.aac").read_bytes()
