"""What is Zalo's own: webhook probes and envelopes, media by signed link, its CDN, error codes.

The behaviours every channel shares (text, menus, photos, voice, redelivery, retries, the
webhook secret, restarts) are in the contract suite, `tests/channels/test_contract.py`.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from bot.app import Loa
from bot.core.chat import Attachment, AttachmentKind, Kind, Reply
from bot.core.config import Settings
from tests.channels.zalo import SECRET, USER, ZaloDriver, polling, webhook
from tests.fakes.common import post_webhook
from tests.fakes.runtime import (
    APOLOGY,
    QUESTION,
    Seen,
    adapter,
    free_port,
    jpeg,
    loa_run,
    running,
    terminate,
    vi,
)
from tests.fakes.zalo import SECRET_HEADER, TOKEN, FakeZalo

# --- what Loa sends ------------------------------------------------------------------------------


async def test_media_go_out_as_signed_links_under_the_public_url(
    settings: Settings, loa: Loa, zl: FakeZalo, media: tuple[Path, Path, Path]
) -> None:
    picture, opus, sound = media
    voice = Attachment(AttachmentKind.voice, opus, alternatives=(sound,), duration=3)
    replies = [
        Reply("Áp phích", attachment=Attachment(AttachmentKind.photo, picture, "Tháng 11")),
        Reply("Nghe bài nói", attachment=voice),  # Zalo takes the AAC one
        Reply("Chỉ có Opus", attachment=Attachment(AttachmentKind.voice, opus)),  # text only
    ]
    async with running(webhook(settings, zl), loa) as runtime:
        for reply in replies:
            assert (await adapter(runtime).sender.deliver(USER, reply)).status == "sent"
    methods = [call.method for call in zl.sent(USER)]
    assert methods == ["sendMessage", "sendPhoto", "sendMessage", "sendVoice", "sendMessage"]
    photo_url = zl.called("sendPhoto")[0].params["photo"]
    with Image.open(io.BytesIO(zl.fetched[photo_url])) as served, Image.open(picture) as sent:
        # The picture as it looks, without what its EXIF says (never a location).
        assert served.format == "JPEG" and served.size == sent.size
        assert not served.getexif()
    assert zl.called("sendPhoto")[0].params["caption"] == "Tháng 11"
    voice_url = zl.called("sendVoice")[0].params["voice_url"]
    assert voice_url.endswith(".aac") and zl.fetched[voice_url] == sound.read_bytes()
    assert "/media/" in photo_url


async def test_without_a_public_url_zalo_users_get_the_text_only(
    settings: Settings, loa: Loa, zl: FakeZalo, tmp_path: Path
) -> None:
    picture = tmp_path / "poster.jpg"
    picture.write_bytes(jpeg())
    reply = Reply("Áp phích", attachment=Attachment(AttachmentKind.photo, picture))
    async with running(polling(settings, zl), loa) as runtime:
        assert (await adapter(runtime).sender.deliver(USER, reply)).status == "sent"
    assert [call.method for call in zl.sent(USER)] == ["sendMessage"]


# --- setting up ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_polling_clears_the_webhook_and_webhook_mode_registers_it(
    mode: str, settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    driver = ZaloDriver(settings, mode, zl)
    async with running(driver.settings(), loa):
        zl.text(USER, "/start")
        await zl.wait_sent(USER, 1)
    if mode == "webhook":
        assert zl.called("setWebhook")[0].params["secret_token"] == SECRET
        assert zl.probes == [200]  # Zalo's empty-bodied check of the URL got its 200
        assert {status for _, status in zl.webhook_answers} == {200}
    else:
        assert zl.called("deleteWebhook")
        assert all(c.params.get("timeout") == "1" for c in zl.called("getUpdates"))


# --- what users send ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["photo_url", "photo"])
async def test_an_image_link_is_read_from_either_field(
    field: str, settings: Settings, loa: Loa, zl: FakeZalo, seen: Seen
) -> None:
    picture = jpeg(800, 600)
    url = zl.host(picture)
    async with running(polling(settings, zl), loa):
        zl.image(USER, url, field=field)
        await zl.wait_sent(USER, 1)
    media = seen.events[0].media[0]
    assert media.ref == url
    assert seen.files[0] == [picture]
    assert zl.last_text(USER) != vi(loa, APOLOGY)


async def test_broken_and_oversized_images_get_polite_answers(
    settings: Settings, loa: Loa, zl: FakeZalo, seen: Seen
) -> None:
    async with running(polling(settings, zl, max_photo_bytes=4096), loa):
        zl.image(USER, zl.host(b"<html><body>Expired</body></html>", "text/html"))
        zl.image(USER, f"{zl.url}/cdn/expired.jpg")
        zl.image(USER, zl.host(jpeg(1200, 900, "white") + b"\0" * 8192))
        await zl.wait_sent(USER, 3)
    not_image, gone, big = (event.media[0] for event in seen.events)
    assert not_image.path is not None and not_image.mime == "text/html"
    assert gone.problem == "download_failed" and gone.path is None
    assert big.problem == "too_large" and big.path is None
    assert vi(loa, APOLOGY) not in zl.texts(USER)


async def test_events_not_known_yet_are_unsupported_messages(
    settings: Settings, loa: Loa, zl: FakeZalo, seen: Seen
) -> None:
    async with running(polling(settings, zl), loa):
        zl.queue(zl.message(USER, "message.link.received", link={"url": "https://x.vn"}))
        await zl.wait_sent(USER, 1)
    assert [event.kind for event in seen.events] == [Kind.unsupported]
    assert zl.texts(USER) == [
        vi(
            loa,
            "I can't use this kind of message here. Please type your question or pick a number.",
        )
    ]


# --- delivery you can trust -------------------------------------------------------------------


async def test_webhook_probes_and_both_envelopes(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    settings = webhook(settings, zl, zalo_webhook_url=None)
    url = f"http://{settings.webhook_listen}/webhook/zalo"
    start = zl.message(USER, "message.text.received", text="/start")
    menu = zl.message(USER, "message.text.received", text="/menu")
    async with running(settings, loa), aiohttp.ClientSession() as http:

        async def post(body: object, secret: str | None, raw: bytes | None = None) -> int:
            status, _ = await post_webhook(
                http, url, body, header=SECRET_HEADER, secret=secret, raw=raw
            )
            return status

        assert await post(None, None, raw=b"") == 200  # Zalo's empty probe
        assert await post(start, SECRET) == 200  # flat
        assert await post({"ok": True, "result": start}, SECRET) == 200  # wrapped: a redelivery
        assert await post({"ok": True, "result": menu}, SECRET) == 200
        await zl.wait_sent(USER, 2)
        await asyncio.sleep(0.2)
    assert len(zl.sent(USER)) == 2


async def test_quota_and_error_envelopes_with_http_200_are_retried(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    zl.fail("sendMessage", 429, times=2, description="Quota exceeded")
    zl.fail("sendMessage", 502, http_status=200)  # an error envelope with HTTP 200
    async with running(polling(settings, zl), loa):
        zl.text(USER, "/start")
        await zl.wait_sent(USER, 1)
    assert [call.status for call in zl.called("sendMessage")] == [429, 429, 502, 200]


async def test_polling_reads_408_in_either_form_and_survives_errors(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    zl.empty_http_status = 408
    zl.fail("getUpdates", 500, times=2)
    zl.fail("getUpdates", 200, delay=2.0)  # longer than the client waits: a silent long poll
    async with running(polling(settings, zl, api_timeout_seconds=1.0), loa):
        await zl.wait_for(lambda: len(zl.called("getUpdates")) >= 4, within=20)
        zl.text(USER, "/start")
        await zl.wait_sent(USER, 1, within=20)


# --- `loa run`, as a black box -----------------------------------------------------------------


async def test_loa_run_serves_zalo_webhooks_and_stops_on_sigterm(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    port = free_port()
    user = ZaloDriver(settings, "webhook", zl)
    async with loa_run(
        settings,
        ZALO_TOKEN=TOKEN,
        ZALO_API_BASE=zl.url,
        WEBHOOK_LISTEN=f"127.0.0.1:{port}",
        ZALO_WEBHOOK_URL=f"http://127.0.0.1:{port}/webhook/zalo",
        ZALO_WEBHOOK_SECRET=SECRET,
    ) as process:
        await zl.wait_for(lambda: zl.webhook_url, within=60)
        await user.choose_vietnamese()
        menu = user.texts()[-1]
        await user.say(QUESTION)
        await user.wait_messages(len(user.texts()) + 1)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            health = await response.json()
        log = await terminate(process)
    assert process.returncode == 0, log
    assert health == {"ok": True, "database": True, "channels": ["zalo"]}
    assert "Menu chính" in menu
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
