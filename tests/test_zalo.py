"""Zalo end to end: the real runtime and adapter against the fake Zalo Bot API, over HTTP."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import Loa
from bot.channels.base import ChannelError
from bot.channels.zalo import ZaloChannel
from bot.core.chat import Attachment, AttachmentKind, Kind, Reply, choice
from bot.core.config import ROOT, Settings
from bot.delivery.outbox import DeliveryStatus
from db.models import User
from tests.fakes.common import post_webhook, utf16_len
from tests.fakes.runtime import (
    APOLOGY,
    capture,
    channel_settings,
    eventually,
    free_port,
    gone,
    jpeg,
    running,
    spooled,
    vi,
)
from tests.fakes.zalo import SECRET_HEADER, TOKEN, FakeZalo
from tests.test_telegram import LOA, QUESTION, loa_env

USER = "6ede9afa66b88fe6d6a9"
SECRET = "zalo-webhook-secret-0042"


@pytest.fixture
async def zl() -> AsyncIterator[FakeZalo]:
    """A fake Zalo Bot API."""
    async with FakeZalo() as fake:
        yield fake


def polling(settings: Settings, zl: FakeZalo, **extra: object) -> Settings:
    """Settings for polling the fake."""
    values: dict[str, object] = {"zalo_token": TOKEN, "zalo_api_base": zl.url}
    return channel_settings(settings, **(values | extra))


def webhook(settings: Settings, zl: FakeZalo, **extra: object) -> Settings:
    """Settings for webhook mode: Loa listens on a free port, registers itself, serves media."""
    port = free_port()
    values: dict[str, object] = {
        "zalo_token": TOKEN,
        "zalo_api_base": zl.url,
        "webhook_listen": f"127.0.0.1:{port}",
        "zalo_webhook_url": f"http://127.0.0.1:{port}/webhook/zalo",
        "zalo_webhook_secret": SECRET,
        "public_base_url": f"http://127.0.0.1:{port}",
    }
    return channel_settings(settings, **(values | extra))


MODES = {"polling": polling, "webhook": webhook}


def channel(runtime: object) -> ZaloChannel:
    """The running Zalo channel."""
    found = runtime.channels[0]  # type: ignore[attr-defined]
    assert isinstance(found, ZaloChannel)
    return found


async def stored_user(loa: Loa) -> User | None:
    """The Zalo user row."""
    async with loa.db.session() as session:
        found = await session.execute(
            select(User).where(User.channel == "zalo", User.external_id == USER)
        )
        return found.scalar_one_or_none()


# --- the conversation -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_start_numbered_menu_and_question_without_accents(
    mode: str, settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    zl.wrap_webhooks = mode == "webhook"  # Zalo's documented envelope; polling reads it flat
    async with running(MODES[mode](settings, zl), loa):
        zl.text(USER, "/start")
        await zl.wait_sent(USER, 1)
        first = zl.last_text(USER)
        assert vi(loa, "Choose your language:") in first
        assert "\n1. Tiếng Việt" in first

        zl.text(USER, zl.number(USER, "Tiếng Việt"))
        await zl.wait_sent(USER, 2)
        assert "Dữ liệu của bạn" in zl.last_text(USER)  # first contact: the privacy notice
        zl.text(USER, zl.number(USER, "Bỏ qua"))  # and the commune, asked once
        await zl.wait_sent(USER, 3)
        assert "Menu chính" in zl.last_text(USER)
        assert "\n1. " in zl.last_text(USER)

        zl.text(USER, QUESTION)
        await zl.wait_sent(USER, 4)
        assert "Dự án 1" in zl.last_text(USER) or "nhà ở" in zl.last_text(USER).lower()
    if mode == "webhook":
        assert zl.called("setWebhook")[0].params["secret_token"] == SECRET
        assert zl.probes == [200]  # Zalo's empty-bodied check of the URL got its 200
        assert {status for _, status in zl.webhook_answers} == {200}
    else:
        assert zl.called("deleteWebhook")
        assert all(c.params.get("timeout") == "1" for c in zl.called("getUpdates"))


async def test_long_replies_are_split_under_2000_with_the_numbers_last(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    text = "\n\n".join(["Người có uy tín trong đồng bào dân tộc thiểu số. " * 12] * 15)
    choices = (choice("menu", label="Menu chính"), choice("t", "lien-he", label="Liên hệ"))
    async with running(polling(settings, zl), loa) as runtime:
        result = await channel(runtime).sender.deliver(USER, Reply(text, choices=choices))
    assert result.status is DeliveryStatus.sent
    texts = zl.texts(USER)
    assert len(texts) >= 5
    assert all(utf16_len(part) <= 2000 for part in texts)
    assert texts[-1].endswith("1. Menu chính\n2. Liên hệ")
    assert not any("1. Menu chính" in part for part in texts[:-1])


async def test_media_go_out_as_signed_links_under_the_public_url(
    settings: Settings, loa: Loa, zl: FakeZalo, tmp_path: Path
) -> None:
    picture, opus, sound = (tmp_path / n for n in ("poster.jpg", "bai-noi.ogg", "bai-noi.aac"))
    picture.write_bytes(jpeg())
    opus.write_bytes(b"OggS opus")
    sound.write_bytes(b"\xff\xf1 aac frames")
    voice = Attachment(AttachmentKind.voice, opus, alternatives=(sound,), duration=3)
    replies = [
        Reply("Áp phích", attachment=Attachment(AttachmentKind.photo, picture, "Tháng 11")),
        Reply("Nghe bài nói", attachment=voice),  # Zalo takes the AAC one
        Reply("Chỉ có Opus", attachment=Attachment(AttachmentKind.voice, opus)),  # text only
    ]
    async with running(webhook(settings, zl), loa) as runtime:
        for reply in replies:
            assert (await channel(runtime).sender.deliver(USER, reply)).status == "sent"
    methods = [call.method for call in zl.sent(USER)]
    assert methods == ["sendMessage", "sendPhoto", "sendMessage", "sendVoice", "sendMessage"]
    photo_url = zl.called("sendPhoto")[0].params["photo"]
    assert zl.fetched[photo_url] == picture.read_bytes()
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
        assert (await channel(runtime).sender.deliver(USER, reply)).status == "sent"
    assert [call.method for call in zl.sent(USER)] == ["sendMessage"]


# --- what users send ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["photo_url", "photo"])
async def test_an_image_is_downloaded_from_the_cdn_at_once(
    field: str,
    settings: Settings,
    loa: Loa,
    zl: FakeZalo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = capture(loa, monkeypatch)
    picture = jpeg(800, 600)
    url = zl.host(picture)
    async with running(polling(settings, zl), loa):
        zl.image(USER, url, field=field, caption="Họp thôn")
        await zl.wait_sent(USER, 1)
    event = seen.events[0]
    assert event.kind is Kind.photo and event.text == "Họp thôn"
    media = event.media[0]
    assert media.ref == url and media.mime == "image/jpeg" and media.size == len(picture)
    assert spooled(settings, media.path)
    assert seen.files[0] == [picture]
    assert gone(media.path)
    assert zl.last_text(USER) != vi(loa, APOLOGY)


async def test_broken_and_oversized_images_get_polite_answers(
    settings: Settings, loa: Loa, zl: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = capture(loa, monkeypatch)
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


async def test_stickers_voice_and_unsupported_messages(
    settings: Settings, loa: Loa, zl: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = capture(loa, monkeypatch)
    async with running(polling(settings, zl), loa):
        zl.sticker(USER)
        zl.unsupported(USER)
        zl.voice(USER, zl.host(b"\xff\xf1 voice", "audio/aac"))
        zl.queue(zl.message(USER, "message.link.received", link={"url": "https://x.vn"}))
        await zl.wait_sent(USER, 4)
    kinds = [event.kind for event in seen.events]
    assert kinds == [Kind.sticker, Kind.unsupported, Kind.voice, Kind.unsupported]
    assert seen.files[2] == [b"\xff\xf1 voice"]
    texts = zl.texts(USER)
    assert texts[0] == vi(loa, "Nice sticker! Please type your question or pick a number.")
    assert texts[1] == vi(
        loa, "I can't use this kind of message here. Please type your question or pick a number."
    )


async def test_a_20000_character_message_gets_the_too_long_answer(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    async with running(polling(settings, zl), loa):
        zl.text(USER, "ư" * 20_000)
        await zl.wait_sent(USER, 1)
    expected = vi(
        loa,
        "Your message is too long ({length} characters). Please send at most {limit} characters.",
    ).format(length=20_000, limit=settings.max_text_length)
    assert zl.texts(USER) == [expected]


async def test_groups_bots_and_foreign_events_are_ignored(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    async with running(polling(settings, zl), loa):
        group = zl.message(USER, "message.text.received", text="/start")
        group["message"]["chat"] = {"id": "g1", "chat_type": "GROUP"}
        bot = zl.message("b0b", "message.text.received", text="/start")
        bot["message"]["from"]["is_bot"] = True
        for update in (group, bot, {"event_name": "user.follow"}, {"message": "x"}, [1, 2]):
            zl.queue(update)  # type: ignore[arg-type]
        zl.text(USER, "/menu")
        await zl.wait_sent(USER, 1)
    assert len(zl.sent()) == 1


# --- delivery you can trust -------------------------------------------------------------------


async def test_the_same_message_twice_gets_one_answer(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    async with running(polling(settings, zl), loa):
        update = zl.text(USER, "/start")
        zl.queue(update)
        zl.text(USER, "/menu")
        await zl.wait_sent(USER, 2)
        await asyncio.sleep(0.2)
    assert len(zl.sent(USER)) == 2


async def test_webhook_secrets_envelopes_and_redelivery(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    config = webhook(settings, zl, zalo_webhook_url=None)
    url = f"http://{config.webhook_listen}/webhook/zalo"
    start = zl.message(USER, "message.text.received", text="/start")
    menu = zl.message(USER, "message.text.received", text="/menu")
    async with running(config, loa), aiohttp.ClientSession() as http:

        async def post(body: object, secret: str | None, raw: bytes | None = None) -> int:
            status, _ = await post_webhook(
                http, url, body, header=SECRET_HEADER, secret=secret, raw=raw
            )
            return status

        assert await post(start, "wrong-secret-123") == 401
        assert await post(start, None) == 401
        await asyncio.sleep(0.1)
        assert zl.sent() == []
        assert await post(None, None, raw=b"") == 200  # Zalo's empty probe
        assert await post(None, SECRET, raw=b"{oops") == 400
        assert await post(start, SECRET) == 200  # flat
        assert await post({"ok": True, "result": start}, SECRET) == 200  # wrapped: a redelivery
        assert await post({"ok": True, "result": menu}, SECRET) == 200
        await zl.wait_sent(USER, 2)
        await asyncio.sleep(0.2)
    assert len(zl.sent(USER)) == 2
    assert not zl.called("setWebhook")


async def test_429_backs_off_then_the_message_goes(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    zl.fail("sendMessage", 429, times=2, description="Quota exceeded")
    zl.fail("sendMessage", 502, http_status=200)  # an error envelope with HTTP 200
    async with running(polling(settings, zl), loa):
        zl.text(USER, "/start")
        await zl.wait_sent(USER, 1)
    assert [call.status for call in zl.called("sendMessage")] == [429, 429, 502, 200]


async def test_a_send_that_times_out_is_not_repeated(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    zl.fail("sendMessage", 200, delay=0.8)
    async with running(polling(settings, zl, api_timeout_seconds=0.3), loa):
        zl.text(USER, "/start")
        await zl.wait_for(lambda: zl.called("sendMessage"))
        zl.text(USER, "/menu")
        await zl.wait_for(lambda: len(zl.sent(USER)) == 2)  # the slow one arrived after all
    assert len(zl.called("sendMessage")) == 2  # and it was not sent a second time


async def test_a_user_who_blocked_the_bot_is_marked_unreachable(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    zl.blocked.add(USER)
    async with running(polling(settings, zl), loa):
        zl.text(USER, "/start")
        await zl.wait_for(lambda: zl.called("sendMessage"))

        async def unreachable() -> bool:
            user = await stored_user(loa)
            return user is not None and user.unreachable

        await eventually(unreachable)
    assert len(zl.called("sendMessage")) == 1


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


async def test_a_restart_mid_conversation_continues_it(
    settings: Settings, loa: Loa, zl: FakeZalo, clock: object
) -> None:
    config = polling(settings, zl)
    async with running(config, loa):
        zl.text(USER, "/start")
        await zl.wait_sent(USER, 1)
        zl.text(USER, "1")
        await zl.wait_sent(USER, 2)
        zl.text(USER, zl.number(USER, "Bỏ qua"))
        await zl.wait_sent(USER, 3)
    second = await Loa.start(config, clock=clock)  # type: ignore[arg-type]
    try:
        async with running(config, second):
            zl.text(USER, zl.number(USER, "Loa"))  # "Your data in Loa", from before the restart
            await zl.wait_for(lambda: any("Dữ liệu của bạn" in t for t in zl.texts(USER)[3:]))
    finally:
        await second.close()


# --- `loa run`, as a black box -----------------------------------------------------------------


async def test_loa_run_serves_zalo_webhooks_and_stops_on_sigterm(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    port = free_port()
    env = loa_env(
        settings,
        ZALO_TOKEN=TOKEN,
        ZALO_API_BASE=zl.url,
        WEBHOOK_LISTEN=f"127.0.0.1:{port}",
        ZALO_WEBHOOK_URL=f"http://127.0.0.1:{port}/webhook/zalo",
        ZALO_WEBHOOK_SECRET=SECRET,
    )
    process = await asyncio.create_subprocess_exec(
        str(LOA), "run", env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    try:
        await zl.wait_for(lambda: zl.webhook_url, within=60)
        zl.text(USER, "/start")
        await zl.wait_sent(USER, 1)
        zl.text(USER, "1")
        await zl.wait_sent(USER, 2)
        zl.text(USER, zl.number(USER, "Bỏ qua"))
        await zl.wait_sent(USER, 3)
        zl.text(USER, QUESTION)
        await zl.wait_sent(USER, 4)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            health = await response.json()
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert health == {"ok": True, "database": True, "channels": ["zalo"]}
    assert "Menu chính" in zl.texts(USER)[2]
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


async def test_a_rejected_token_stops_the_start_with_a_clear_error(
    settings: Settings, loa: Loa, zl: FakeZalo
) -> None:
    config = polling(settings, zl, zalo_token="3141592653589793:not-the-token")
    with pytest.raises(ChannelError, match="ZALO_TOKEN") as raised:
        async with running(config, loa):
            pass
    assert "not-the-token" not in str(raised.value)
