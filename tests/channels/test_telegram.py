"""What is Telegram's own: the commands menu, inline buttons, captions, getFile, chat members.

The behaviours every channel shares (text, menus, photos, albums, voice, redelivery, retries,
the webhook secret, restarts) are in the contract suite, `tests/channels/test_contract.py`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from pathlib import Path

import pytest

from bot.app import Loa
from bot.channels.telegram import TelegramChannel
from bot.core.chat import Attachment, AttachmentKind, Choice, Kind, Reply
from bot.core.config import Settings
from bot.core.logging import install_redaction
from bot.delivery.outbox import DeliveryStatus
from tests.channels.telegram import SECRET, USER, TelegramDriver, polling
from tests.fakes.runtime import (
    APOLOGY,
    QUESTION,
    Seen,
    adapter,
    capture,
    eventually,
    free_port,
    jpeg,
    loa_run,
    running,
    stored_user,
    terminate,
    vi,
)
from tests.fakes.telegram import TOKEN, FakeTelegram, parse_html

# --- setting up and buttons ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_commands_menu_webhook_and_answered_buttons(
    mode: str, settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    async with running(TelegramDriver(settings, mode, tg).settings(), loa):
        tg.text(USER, "/start")
        await tg.wait_sent(USER, 1)
        tg.press(USER, tg.button(USER, "Tiếng Việt"))
        await tg.wait_sent(USER, 2)
        assert tg.keyboard(USER)[0]["callback_data"].startswith("v1:")
        await tg.wait_for(lambda: all(tg.callbacks.values()))  # every spinner stopped
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


async def test_a_short_text_rides_on_a_photo_as_its_caption(
    settings: Settings, loa: Loa, tg: FakeTelegram, media: tuple[Path, Path, Path]
) -> None:
    picture, opus, aac = media
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
            assert (await adapter(runtime).sender.deliver(str(USER), reply)).status == "sent"
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


async def test_the_largest_size_of_a_photo_is_fetched_through_getfile(
    settings: Settings, loa: Loa, tg: FakeTelegram, seen: Seen
) -> None:
    async with running(polling(settings, tg), loa):
        update = tg.photo(USER, jpeg(800, 600))
        await tg.wait_sent(USER, 1)
    big = update["message"]["photo"][1]["file_id"]
    assert [c.params["file_id"] for c in tg.called("getFile")] == [big]
    assert tg.called("file")
    assert seen.events[0].media[0].ref == big


async def test_an_oversized_photo_is_refused_before_downloading(
    settings: Settings, loa: Loa, tg: FakeTelegram, seen: Seen
) -> None:
    async with running(polling(settings, tg), loa):
        tg.photo(USER, jpeg(), announce_size=settings.max_photo_bytes + 1)
        await tg.wait_sent(USER, 1)
    assert seen.events[0].media[0].problem == "too_large"
    assert seen.events[0].media[0].path is None
    assert not tg.called("getFile") and not tg.called("file")
    assert tg.texts(USER)[0] != vi(loa, APOLOGY)


async def test_a_non_image_photo_and_a_failed_download_get_polite_answers(
    settings: Settings, loa: Loa, tg: FakeTelegram, seen: Seen
) -> None:
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


async def test_locations_and_documents_pass_through(
    settings: Settings, loa: Loa, tg: FakeTelegram, seen: Seen
) -> None:
    async with running(polling(settings, tg), loa):
        tg.send(USER, location={"latitude": 14.05, "longitude": 107.73})
        tg.document(USER, b"%PDF-1.4 plan", mime="application/pdf", file_name="ke-hoach.pdf")
        await tg.wait_sent(USER, 2)
    location, document = seen.events
    assert location.kind is Kind.location and document.kind is Kind.document
    assert location.location is not None and location.location.latitude == 14.05
    assert document.media[0].file_name == "ke-hoach.pdf"
    assert seen.files[1] == [b"%PDF-1.4 plan"]


async def test_a_blocked_user_who_writes_again_is_reachable_until_kicked_again(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    async def unreachable() -> bool:
        user = await stored_user(loa, "telegram", str(USER))
        return user is not None and user.unreachable

    async with running(polling(settings, tg), loa):
        tg.blocked.add(USER)
        tg.text(USER, "/start")
        await eventually(unreachable)
        tg.blocked.discard(USER)
        tg.text(USER, "/menu")  # writing again makes them reachable
        await tg.wait_sent(USER, 1)
        assert not await unreachable()
        # Blocking shows up as my_chat_member too.
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
        await eventually(unreachable)


# --- delivery you can trust -------------------------------------------------------------------


async def test_an_ok_answer_that_is_not_a_message_still_counts_as_sent(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    # A Bot-API-compatible server whose "ok" answer does not parse as a Message took it.
    tg.fail("sendMessage", 200, body='{"ok": true, "result": true}')
    async with running(polling(settings, tg), loa):
        tg.text(USER, "/start")
        tg.text(USER, "/menu")
        await tg.wait_sent(USER, 1)
        await tg.wait_for(lambda: len(tg.called("sendMessage")) >= 2)
        await asyncio.sleep(0.2)
    assert len(tg.called("sendMessage")) == 2  # the first was not sent again


async def test_polling_waits_out_conflicts_and_rate_limits(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    tg.fail("getUpdates", 409, description="Conflict: terminated by other getUpdates request")
    tg.fail("getUpdates", 429, retry_after=1)
    async with running(polling(settings, tg), loa):
        tg.text(USER, "/start")
        await tg.wait_sent(USER, 1, within=20)
    assert [call.status for call in tg.called("getUpdates")][:2] == [409, 429]


async def test_the_token_never_reaches_the_logs(
    settings: Settings,
    loa: Loa,
    tg: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    capture(loa, monkeypatch)  # the photo is one the user's step takes: it is downloaded
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


# --- shutdown -----------------------------------------------------------------------------------


async def test_stopping_lets_updates_in_progress_finish(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", 200, delay=0.5)
    async with running(polling(settings, tg), loa) as runtime:
        tg.text(USER, "/start")
        await tg.wait_for(lambda: adapter(runtime).inbox.lanes.in_flight > 0)
        await tg.wait_for(lambda: not tg.pending or tg.called("getUpdates"))
        await asyncio.sleep(0.1)
    assert len(tg.sent(USER)) == 1  # the reply went out before the runtime stopped
    # Handled updates were confirmed on the way out.
    assert tg.called("getUpdates")[-1].params.get("limit") == "1"


# --- `loa run`, as a black box -----------------------------------------------------------------


async def test_loa_run_answers_on_telegram_and_stops_on_sigterm(
    settings: Settings, loa: Loa, tg: FakeTelegram
) -> None:
    user = TelegramDriver(settings, "polling", tg)
    async with loa_run(settings, TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_BASE=tg.url) as process:
        await user.say("/start")
        await user.wait_messages(1, within=60)
        assert tg.keyboard(USER)
        await user.pick("Tiếng Việt")
        await user.wait_messages(2)
        await user.skip_commune_question()
        menu = user.texts()[-1]
        await user.say(QUESTION)
        await user.wait_messages(len(user.texts()) + 1)
        log = await terminate(process)
    assert process.returncode == 0, log
    assert "stopped" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "Menu chính" in menu


async def test_sigterm_stops_loa_cleanly_while_telegram_is_unreachable(
    settings: Settings, loa: Loa
) -> None:
    with socket.socket() as probe:  # a port nothing listens on: every call is refused
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    seen: list[str] = []
    async with loa_run(settings, TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_BASE=closed) as process:
        assert process.stderr is not None
        while "telegram getMe failed" not in "".join(seen):  # the start is backing off
            line = await asyncio.wait_for(process.stderr.readline(), 120)
            assert line, "".join(seen)
            seen.append(line.decode())
        process.send_signal(signal.SIGTERM)
        # A few seconds, not the minute that backing off through every start call took.
        _, rest = await asyncio.wait_for(process.communicate(), 15)
    log = "".join(seen) + rest.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log and "ERROR" not in log
    assert "stopping before the start finished" in log and "stopped" in log


async def test_loa_run_refuses_webhook_mode_without_a_secret(settings: Settings) -> None:
    async with loa_run(settings, TELEGRAM_TOKEN=TOKEN, WEBHOOK_LISTEN="127.0.0.1:8443") as process:
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in stderr.decode()
