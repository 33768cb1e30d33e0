"""Telegram end to end: the real runtime and adapter against the fake Bot API, over HTTP."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import Loa
from bot.channels.base import ChannelError
from bot.channels.telegram import TelegramChannel
from bot.core.chat import Attachment, AttachmentKind, Choice, Kind, Reply, choice
from bot.core.config import ROOT, Settings
from bot.core.logging import install_redaction
from bot.delivery.outbox import DeliveryStatus
from db.models import ProcessedUpdate, User
from tests.fakes.common import post_webhook
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
from tests.fakes.telegram import SECRET_HEADER, TOKEN, FakeTelegram, parse_html

USER = 5550001
SECRET = "webhook-secret_42"
QUESTION = "nha toi duoc ho tro bao nhieu tien lam nha"


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API."""
    async with FakeTelegram() as fake:
        yield fake


def polling(settings: Settings, tg: FakeTelegram, **extra: object) -> Settings:
    """Settings for polling the fake."""
    values: dict[str, object] = {"telegram_token": TOKEN, "telegram_api_base": tg.url}
    return channel_settings(settings, **(values | extra))


def webhook(settings: Settings, tg: FakeTelegram, **extra: object) -> Settings:
    """Settings for webhook mode: Loa listens on a free port and registers itself."""
    port = free_port()
    values: dict[str, object] = {
        "telegram_token": TOKEN,
        "telegram_api_base": tg.url,
        "webhook_listen": f"127.0.0.1:{port}",
        "telegram_webhook_url": f"http://127.0.0.1:{port}/webhook/telegram",
        "telegram_webhook_secret": SECRET,
    }
    return channel_settings(settings, **(values | extra))


MODES = {"polling": polling, "webhook": webhook}


def sender(runtime: object) -> TelegramChannel:
    """The running Telegram channel."""
    channel = runtime.channels[0]  # type: ignore[attr-defined]
    assert isinstance(channel, TelegramChannel)
    return channel


async def stored_user(loa: Loa, external_id: int) -> User | None:
    """The user row for a Telegram id."""
    async with loa.db.session() as session:
        found = await session.execute(
            select(User).where(User.channel == "telegram", User.external_id == str(external_id))
        )
        return found.scalar_one_or_none()


# --- the conversation -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_start_keyboard_button_and_question_without_accents(
    mode: str, settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    async with running(MODES[mode](settings, tg), loa):
        tg.text(USER, "/start")
        await tg.wait_sent(USER, 1)
        assert vi(loa, "Choose your language:") in tg.texts(USER)[0]
        labels = [button["text"] for button in tg.keyboard(USER)]
        assert labels[0] == "1. Tiếng Việt"

        tg.press(USER, tg.button(USER, "Tiếng Việt"))
        await tg.wait_sent(USER, 2)
        assert "Menu chính" in tg.texts(USER)[1]
        assert tg.keyboard(USER)[0]["callback_data"].startswith("v1:")
        await tg.wait_for(lambda: all(tg.callbacks.values()))

        tg.text(USER, QUESTION)
        await tg.wait_sent(USER, 3)
        assert "Dự án 1" in tg.texts(USER)[2] or "nhà ở" in tg.texts(USER)[2].lower()
    if mode == "webhook":
        assert tg.webhook_url.endswith("/webhook/telegram")
        assert tg.webhook_secret == SECRET
        assert {status for _, status in tg.webhook_answers} == {200}
    else:
        assert tg.called("deleteWebhook")
    assert tg.commands[("default", "")] == tg.commands[("default", "vi")]
    assert [c["command"] for c in tg.commands[("default", "")]] == [
        "start",
        "menu",
        "help",
        "language",
        "cancel",
    ]
    assert tg.commands[("default", "")][1]["description"] == vi(loa, "Main menu")


async def test_a_typed_number_answers_the_keyboard(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    async with running(polling(settings, tg), loa):
        tg.text(USER, "/start")
        await tg.wait_sent(USER, 1)
        tg.text(USER, "1")
        await tg.wait_sent(USER, 2)
        assert "Menu chính" in tg.texts(USER)[1]


async def test_a_stale_button_gets_a_polite_answer(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    async with running(polling(settings, tg), loa):
        tg.press(USER, "v0:gone:42")
        tg.press(USER, "not-ours")
        await tg.wait_sent(USER, 4)
        texts = tg.texts(USER)
        assert texts[0] == vi(loa, "That button is out of date. Here is the main menu.")
        assert "Menu chính" in texts[1]
        await tg.wait_for(lambda: all(tg.callbacks.values()))


async def test_long_replies_are_split_under_4096_with_the_keyboard_last(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    paragraph = "Chương trình MTQG 1719 <hỗ trợ> & **đồng bào** vùng cao. " * 30
    long_text = "\n\n".join([paragraph] * 12)
    reply = Reply(long_text, choices=(choice("menu", label="Menu chính"),))
    async with running(polling(settings, tg), loa) as runtime:
        result = await sender(runtime).sender.deliver(str(USER), reply)
    assert result.status is DeliveryStatus.sent
    sent = tg.sent(USER)
    assert len(sent) >= 5
    assert all(len(text.encode("utf-16-le")) // 2 <= 4096 for text in tg.texts(USER))
    assert [bool(call.params.get("reply_markup")) for call in sent] == [False] * (
        len(sent) - 1
    ) + [True]
    assert "<hỗ trợ> & đồng bào" in tg.texts(USER)[0]


async def test_a_short_text_rides_on_a_photo_as_its_caption(
    settings: Settings, loa: Loa, tg: FakeTelegram, tmp_path: Path
) -> None:
    picture, opus, aac = (tmp_path / n for n in ("poster.jpg", "bai-noi.ogg", "bai-noi.aac"))
    picture.write_bytes(jpeg())
    opus.write_bytes(b"OggS opus")
    aac.write_bytes(b"\xff\xf1 aac")
    long_caption = "Ảnh tuyên truyền " * 100
    voice = Attachment(AttachmentKind.voice, aac, alternatives=(opus,), duration=42)
    replies = [
        Reply("**Áp phích** tháng 11", attachment=Attachment(AttachmentKind.photo, picture)),
        Reply(
            long_caption,
            attachment=Attachment(AttachmentKind.photo, picture),
            choices=(Choice("v1:menu", "Menu"),),
        ),
        Reply("🔊 Nghe", attachment=voice),  # Telegram takes the Opus one, as a voice note
    ]
    async with running(polling(settings, tg), loa) as runtime:
        for reply in replies:
            assert (await sender(runtime).sender.deliver(str(USER), reply)).status == "sent"
    methods = [call.method for call in tg.sent(USER)]
    assert methods == ["sendPhoto", "sendMessage", "sendPhoto", "sendVoice"]
    sent_voice = tg.sent(USER)[3]
    assert list(sent_voice.files.values()) == [b"OggS opus"]
    assert sent_voice.params["duration"] == "42"
    first = tg.sent(USER)[0]
    assert parse_html(first.params["caption"]) == "Áp phích tháng 11"
    assert tg.sent(USER)[1].params["text"].startswith("Ảnh tuyên truyền")
    assert tg.sent(USER)[2].params.get("reply_markup")
    # The second photo reused the first upload's file_id instead of uploading again.
    assert not tg.sent(USER)[2].files


# --- what users send ----------------------------------------------------------------------------


async def test_a_photo_is_fetched_through_getfile_into_the_spool(
    settings: Settings, loa: Loa, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = capture(loa, monkeypatch)
    picture = jpeg(800, 600)
    async with running(polling(settings, tg), loa):
        update = tg.photo(USER, picture, caption="Họp thôn Ia Tơi")
        await tg.wait_sent(USER, 1)
    event = seen.events[0]
    assert event.kind is Kind.photo and event.text == "Họp thôn Ia Tơi"
    big = update["message"]["photo"][1]["file_id"]
    assert [c.params["file_id"] for c in tg.called("getFile")] == [big]
    assert tg.called("file")
    media = event.media[0]
    assert media.ref == big and media.size == len(picture) and media.mime == "image/jpeg"
    assert spooled(settings, media.path)
    assert seen.files[0] == [picture]
    assert gone(media.path)  # the spool is emptied after the event
    assert tg.texts(USER)[0] != vi(loa, APOLOGY)


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_an_album_becomes_one_event(
    mode: str, settings: Settings, loa: Loa, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = capture(loa, monkeypatch)
    pictures = [jpeg(colour=c) for c in ("red", "green", "blue")]
    async with running(MODES[mode](settings, tg), loa):
        first = tg.photo(USER, pictures[0], caption="Ba ảnh", media_group_id="album-1")
        tg.photo(USER, pictures[1], media_group_id="album-1")
        tg.photo(USER, pictures[2], media_group_id="album-1")
        await tg.wait_sent(USER, 1)
        tg.text(USER, "/menu")
        await tg.wait_sent(USER, 2)
    photos = [event for event in seen.events if event.kind is Kind.photo]
    assert len(photos) == 1
    assert photos[0].update_id == str(first["update_id"])
    assert photos[0].text == "Ba ảnh"
    assert seen.files[0] == pictures
    assert seen.events[-1].command == "menu"  # the user's next message came after the album


async def test_an_oversized_photo_is_refused_before_downloading(
    settings: Settings, loa: Loa, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = capture(loa, monkeypatch)
    async with running(polling(settings, tg), loa):
        tg.photo(USER, jpeg(), announce_size=settings.max_photo_bytes + 1)
        await tg.wait_sent(USER, 1)
    assert seen.events[0].media[0].problem == "too_large"
    assert seen.events[0].media[0].path is None
    assert not tg.called("getFile") and not tg.called("file")
    assert tg.texts(USER)[0] != vi(loa, APOLOGY)


async def test_a_non_image_photo_and_a_failed_download_get_polite_answers(
    settings: Settings, loa: Loa, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = capture(loa, monkeypatch)
    async with running(polling(settings, tg), loa):
        tg.document(USER, b"<html>not a picture</html>", mime="image/jpeg", file_name="anh.jpg")
        await tg.wait_sent(USER, 1)
        tg.fail("getFile", 400, description="Bad Request: wrong file_id")
        tg.photo(USER, jpeg())
        await tg.wait_sent(USER, 2)
    fake_image, failed = seen.events
    assert fake_image.kind is Kind.photo
    assert seen.files[0] == [b"<html>not a picture</html>"]
    assert failed.media[0].problem == "download_failed"
    assert vi(loa, APOLOGY) not in tg.texts(USER)


async def test_other_kinds_of_message_pass_through(
    settings: Settings, loa: Loa, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = capture(loa, monkeypatch)
    async with running(polling(settings, tg), loa):
        tg.send(USER, location={"latitude": 14.05, "longitude": 107.73})
        tg.document(USER, b"%PDF-1.4 plan", mime="application/pdf", file_name="ke-hoach.pdf")
        voice_id = tg.store_file(b"OggS voice", extension="oga")
        tg.send(USER, voice={"file_id": voice_id, "file_unique_id": "v", "duration": 2})
        tg.send(USER, sticker={"file_id": "CAAC-sticker", "file_unique_id": "s", "type": "regular",
                               "width": 512, "height": 512, "is_animated": False,
                               "is_video": False, "emoji": "👍"})  # fmt: skip
        tg.send(USER, video={"file_id": "BAAC", "file_unique_id": "v", "width": 1, "height": 1,
                             "duration": 1})  # fmt: skip
        await tg.wait_sent(USER, 5)
    kinds = [event.kind for event in seen.events]
    assert kinds == [Kind.location, Kind.document, Kind.voice, Kind.sticker, Kind.unsupported]
    location, document = seen.events[0], seen.events[1]
    assert location.location is not None and location.location.latitude == 14.05
    assert document.media[0].file_name == "ke-hoach.pdf"
    assert seen.files[1] == [b"%PDF-1.4 plan"] and seen.files[2] == [b"OggS voice"]
    assert tg.texts(USER)[3] == vi(
        loa, "Nice sticker! Please type your question or pick a number."
    )


async def test_a_20000_character_message_gets_the_too_long_answer(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    async with running(polling(settings, tg), loa):
        tg.text(USER, "a" * 20_000)
        await tg.wait_sent(USER, 1)
    expected = vi(
        loa,
        "Your message is too long ({length} characters). Please send at most {limit} characters.",
    ).format(length=20_000, limit=settings.max_text_length)
    assert tg.texts(USER) == [expected]


async def test_updates_loa_does_not_handle_are_ignored(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    async with running(polling(settings, tg), loa):
        tg.queue(tg.update(edited_message={"message_id": 1, "date": 0, "text": "x",
                                           "chat": {"id": USER, "type": "private"}}))  # fmt: skip
        tg.queue(tg.update(channel_post={"message_id": 2, "date": 0, "text": "x",
                                         "chat": {"id": -100, "type": "channel"}}))  # fmt: skip
        tg.queue(tg.update(message={"message_id": 3, "date": 0, "text": "/start",
                                    "from": {"id": 777, "is_bot": True, "first_name": "B"},
                                    "chat": {"id": 777, "type": "private"}}))  # fmt: skip
        tg.queue(tg.update(message={"message_id": 4, "date": 0, "text": "/start",
                                    "from": {"id": USER, "is_bot": False, "first_name": "Y"},
                                    "chat": {"id": -42, "type": "group"}}))  # fmt: skip
        tg.queue({"update_id": "not-a-number"})
        tg.queue(tg.update(message="garbage"))
        tg.text(USER, "/menu")
        await tg.wait_sent(USER, 1)
    assert len(tg.sent()) == 1


async def test_a_user_who_blocks_the_bot_is_marked_unreachable(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    async with running(polling(settings, tg), loa):
        tg.text(USER, "/start")
        await tg.wait_sent(USER, 1)
        tg.blocked.add(USER)
        tg.text(USER, "/menu")
        await tg.wait_for(lambda: len(tg.called("sendMessage")) >= 2)
        user = await _wait_for_user(loa, lambda u: u.unreachable)
        assert user.unreachable
        assert len(tg.called("sendMessage")) == 2  # the 403 was not retried
        # Blocking shows up as my_chat_member too.
        tg.blocked.discard(USER)
        tg.text(USER, "/menu")  # writing again makes them reachable
        await tg.wait_sent(USER, 2)
        assert not (await stored_user(loa, USER)).unreachable  # type: ignore[union-attr]
        tg.queue(
            tg.update(
                my_chat_member={
                    "chat": {"id": USER, "type": "private", "first_name": "Y"},
                    "from": {"id": USER, "is_bot": False, "first_name": "Y"},
                    "date": 0,
                    "old_chat_member": {
                        "status": "member",
                        "user": {"id": 42, "is_bot": True, "first_name": "Loa"},
                    },
                    "new_chat_member": {
                        "status": "kicked",
                        "until_date": 0,
                        "user": {"id": 42, "is_bot": True, "first_name": "Loa"},
                    },
                }
            )
        )
        await _wait_for_user(loa, lambda u: u.unreachable)


async def _wait_for_user(loa: Loa, predicate: Callable[[User], bool]) -> User:
    async def holds() -> bool:
        user = await stored_user(loa, USER)
        return user is not None and predicate(user)

    await eventually(holds)
    user = await stored_user(loa, USER)
    assert user is not None
    return user


# --- delivery you can trust -------------------------------------------------------------------


async def test_the_same_update_twice_gets_one_answer_when_polling(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    async with running(polling(settings, tg), loa):
        update = tg.text(USER, "/start")
        tg.queue(update)
        tg.text(USER, "/menu")
        await tg.wait_sent(USER, 2)
    assert len(tg.sent(USER)) == 2


async def test_the_same_update_twice_gets_one_answer_by_webhook(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    config = webhook(settings, tg, telegram_webhook_url=None)
    url = f"http://{config.webhook_listen}/webhook/telegram"
    update = tg.update(message=tg.message(USER, "Y Blong", text="/start"))
    async with running(config, loa), aiohttp.ClientSession() as http:
        first = await post_webhook(http, url, update, header=SECRET_HEADER, secret=SECRET)
        again = await post_webhook(http, url, update, header=SECRET_HEADER, secret=SECRET)
    assert first[0] == again[0] == 200
    assert len(tg.sent(USER)) == 1
    assert not tg.called("setWebhook")  # no URL configured: registered elsewhere


async def test_a_webhook_with_a_wrong_or_missing_secret_is_refused(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    config = webhook(settings, tg, telegram_webhook_url=None)
    url = f"http://{config.webhook_listen}/webhook/telegram"
    async with running(config, loa), aiohttp.ClientSession() as http:
        wrong = await post_webhook(
            http, url, tg.update(message=tg.message(USER, "Y", text="/start")),
            header=SECRET_HEADER, secret="not-the-secret",
        )  # fmt: skip
        missing = await post_webhook(
            http, url, tg.update(message=tg.message(USER, "Y", text="/start")),
            header=SECRET_HEADER, secret=None,
        )  # fmt: skip
        garbage = await post_webhook(
            http, url, None, header=SECRET_HEADER, secret=SECRET, raw=b"{not json"
        )
        await asyncio.sleep(0.1)
    assert (wrong[0], missing[0], garbage[0]) == (401, 401, 400)
    assert tg.sent() == []
    async with loa.db.session() as session:
        rows = (await session.execute(select(ProcessedUpdate))).scalars().all()
    assert rows == []


async def test_429_is_waited_out_then_the_message_goes(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", 429, retry_after=1, description="Too Many Requests: retry after 1")
    async with running(polling(settings, tg), loa):
        tg.text(USER, "/start")
        await tg.wait_sent(USER, 1)
    statuses = [call.status for call in tg.called("sendMessage")]
    assert statuses == [429, 200]


async def test_server_errors_are_retried_and_timeouts_are_not(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", 500)
    tg.fail("sendMessage", 502, body="<html><body>502 Bad Gateway</body></html>")
    async with running(polling(settings, tg, api_timeout_seconds=0.3), loa):
        tg.text(USER, "/start")
        await tg.wait_sent(USER, 1)
        assert [call.status for call in tg.called("sendMessage")] == [500, 502, 200]
        # A send that times out may have arrived: it is not sent a second time.
        tg.fail("sendMessage", 200, delay=0.8)
        tg.text(USER, "/menu")
        await tg.wait_for(lambda: len(tg.called("sendMessage")) >= 4)
        await asyncio.sleep(0.3)
        tg.text(USER, "/help")
        await tg.wait_sent(USER, 3)
        assert len(tg.called("sendMessage")) == 5
        # A server whose "ok" answer does not parse as a Message still took the message.
        tg.fail("sendMessage", 200, body='{"ok": true, "result": true}')
        tg.text(USER, "/menu")
        tg.text(USER, "/help")
        await tg.wait_sent(USER, 4)
    assert len(tg.called("sendMessage")) == 7


async def test_polling_survives_api_failures(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    tg.fail("getUpdates", 500, times=2)
    tg.fail("getUpdates", 409, description="Conflict: terminated by other getUpdates request")
    tg.fail("getUpdates", 429, retry_after=1)
    async with running(polling(settings, tg), loa):
        tg.text(USER, "/start")
        await tg.wait_sent(USER, 1, within=20)


async def test_the_token_never_reaches_the_logs(
    settings: Settings, loa: Loa, tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    install_redaction([TOKEN, TOKEN.split(":")[1]])
    caplog.set_level(logging.DEBUG)
    tg.fail("getUpdates", 500, times=2)
    tg.fail("sendMessage", 500, times=10)
    async with running(polling(settings, tg, send_max_attempts=2), loa) as runtime:
        tg.text(USER, "/start")
        await tg.wait_for(lambda: len(tg.called("sendMessage")) >= 2)
        tg.fail("file", 404)
        tg.photo(USER, jpeg())  # the download of the file fails
        await tg.wait_for(lambda: len(tg.called("file")) >= 1)
        await asyncio.sleep(0.2)
    # Nothing listens on the old port any more: a network error, URL and all.
    closed = polling(settings, tg, telegram_api_base=f"http://127.0.0.1:{free_port()}")
    channel = TelegramChannel(closed, loa.engine, loa.db, loa.services.catalogs)
    result = await channel.sender.deliver(str(USER), Reply("hello"))
    await channel.bot.session.close()
    assert result.status is DeliveryStatus.retry
    secret_half = TOKEN.split(":")[1]
    for text in (caplog.text, result.error, *(str(r.exc_info) for r in caplog.records)):
        assert TOKEN not in text and secret_half not in text
    assert "getUpdates failed" in caplog.text
    assert "download of http://127.0.0.1" in caplog.text
    del runtime


# --- restarts and shutdown ----------------------------------------------------------------------


async def test_a_restart_mid_conversation_continues_it(
    settings: Settings, loa: Loa, tg: FakeTelegram, clock: object
) -> None:
    config = polling(settings, tg)
    async with running(config, loa):
        tg.text(USER, "/start")
        await tg.wait_sent(USER, 1)
        tg.press(USER, tg.button(USER, "Tiếng Việt"))
        await tg.wait_sent(USER, 2)
    second = await Loa.start(config, clock=clock)  # type: ignore[arg-type]
    try:
        async with running(config, second):
            tg.text(USER, "7")  # the menu shown before the restart
            await tg.wait_sent(USER, 3)
    finally:
        await second.close()
    assert "Loa lưu gì về bạn" in tg.texts(USER)[2]


async def test_stopping_lets_updates_in_progress_finish(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", 200, delay=0.5)
    async with running(polling(settings, tg), loa) as runtime:
        tg.text(USER, "/start")
        await tg.wait_for(lambda: sender(runtime).inbox.lanes.in_flight > 0)
        await tg.wait_for(lambda: not tg.pending or tg.called("getUpdates"))
        await asyncio.sleep(0.1)
    assert len(tg.sent(USER)) == 1  # the reply went out before the runtime stopped
    # Handled updates were confirmed on the way out.
    assert tg.called("getUpdates")[-1].params.get("limit") == "1"


# --- `loa run`, as a black box -----------------------------------------------------------------


LOA = Path(sys.executable).parent / "loa"


def loa_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `loa run` on the test database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "ZALO_", "WEBHOOK_", "PUBLIC_")) and k != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=settings.database_url,
        MEDIA_DIR=str(settings.media_dir),
        POLLING_TIMEOUT_SECONDS="1",
        LOG_LEVEL="INFO",
        **extra,
    )
    return env


async def test_loa_run_answers_on_telegram_and_stops_on_sigterm(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    env = loa_env(settings, TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_BASE=tg.url)
    process = await asyncio.create_subprocess_exec(
        str(LOA), "run", env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    try:
        tg.text(USER, "/start")
        await tg.wait_sent(USER, 1, within=60)
        assert tg.keyboard(USER)
        tg.press(USER, tg.button(USER, "Tiếng Việt"))
        await tg.wait_sent(USER, 2)
        tg.text(USER, QUESTION)
        await tg.wait_sent(USER, 3)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "stopped" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "Menu chính" in tg.texts(USER)[1]


async def test_loa_run_refuses_webhook_mode_without_a_secret(settings: Settings) -> None:
    env = loa_env(settings, TELEGRAM_TOKEN=TOKEN, WEBHOOK_LISTEN="127.0.0.1:8443")
    process = await asyncio.create_subprocess_exec(
        str(LOA), "run", env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in stderr.decode()


async def test_a_rejected_token_stops_the_start_with_a_clear_error(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    config = polling(settings, tg, telegram_token="4242424242:not-the-token")
    with pytest.raises(ChannelError, match="TELEGRAM_TOKEN") as raised:
        async with running(config, loa):
            pass
    assert "not-the-token" not in str(raised.value)
