"""The channel contract: what every adapter does, written once and run against each of them.

Each test plays a user through a real adapter (Telegram and Zalo against their fake servers
over HTTP, the console in-process) and asserts what the user reads and what the engine got.
Where a behaviour does not exist on a channel, its driver says why and the test is skipped.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import Loa
from bot.channels.base import ChannelError
from bot.core.chat import Kind, Reply, choice
from bot.core.config import Settings
from bot.delivery.outbox import DeliveryStatus
from db.models import ProcessedUpdate
from tests.channels.driver import Driver, Mode
from tests.fakes.common import utf16_len
from tests.fakes.runtime import (
    APOLOGY,
    QUESTION,
    Seen,
    eventually,
    gone,
    jpeg,
    spooled,
    stored_user,
    vi,
)

# --- text and menus ------------------------------------------------------------------------


async def test_start_menu_and_a_question_without_accents(
    driver: Driver, mode: Mode, loa: Loa
) -> None:
    async with driver.running(loa):
        await driver.say("/start")
        first = (await driver.wait_messages(1))[0]
        assert vi(loa, "Choose your language:") in first.text
        assert first.options[0] == "1. Tiếng Việt"

        await driver.pick("Tiếng Việt")
        await driver.wait_messages(2)
        await driver.skip_commune_question()
        assert "Menu chính" in driver.texts()[-1]
        assert driver.menu()[0].startswith("1. ")

        count = len(driver.messages())
        await driver.say(QUESTION)
        answer = (await driver.wait_messages(count + 1))[-1].text
        assert "Dự án 1" in answer or "nhà ở" in answer.lower()


async def test_a_typed_number_answers_the_menu(driver: Driver, loa: Loa) -> None:
    async with driver.running(loa):
        await driver.say("/start")
        await driver.wait_messages(1)
        await driver.say("1")
        await driver.wait_messages(2)
        await driver.skip_commune_question()
        assert "Menu chính" in driver.texts()[-1]


async def test_a_20000_character_message_gets_the_too_long_answer(
    driver: Driver, settings: Settings, loa: Loa
) -> None:
    async with driver.running(loa):
        await driver.say("ư" * 20_000)
        await driver.wait_messages(1)
    expected = vi(
        loa,
        "Your message is too long ({length} characters). Please send at most {limit} characters.",
    ).format(length=20_000, limit=settings.max_text_length)
    assert driver.texts() == [expected]


async def test_long_replies_are_split_under_the_limit_with_the_menu_last(
    driver: Driver, loa: Loa
) -> None:
    driver.need("split")
    paragraph = "Chương trình MTQG 1719 <hỗ trợ> & **đồng bào** vùng cao. " * 30
    text = "\n\n".join([paragraph] * 12)
    choices = (choice("menu", label="Menu chính"), choice("t", "lien-he", label="Liên hệ"))
    async with driver.running(loa):
        result = await driver.deliver(Reply(text, choices=choices))
    assert result.status is DeliveryStatus.sent
    shown = driver.messages()
    assert len(shown) >= -(-utf16_len(text) // driver.text_limit)  # at least the fewest parts
    assert all(utf16_len(message.text) <= driver.text_limit for message in shown)
    assert [bool(message.options) for message in shown] == [False] * (len(shown) - 1) + [True]
    assert shown[-1].options == ("1. Menu chính", "2. Liên hệ")
    assert "<hỗ trợ> & đồng bào" in shown[0].text  # escaped on the way, read as written


# --- what users send -------------------------------------------------------------------------


async def test_a_photo_reaches_the_engine_with_its_bytes(
    driver: Driver, loa: Loa, seen: Seen
) -> None:
    picture = jpeg(800, 600)
    async with driver.running(loa):
        await driver.photo([picture])
        await driver.wait_messages(1)
    assert seen.events[0].kind is Kind.photo
    assert seen.files[0] == [picture]
    assert driver.texts()[0] != vi(loa, APOLOGY)


async def test_a_downloaded_photo_is_spooled_with_its_caption_then_removed(
    driver: Driver, settings: Settings, loa: Loa, seen: Seen
) -> None:
    driver.need("downloads")
    picture = jpeg(800, 600)
    async with driver.running(loa):
        await driver.photo([picture], caption="Họp thôn Ia Tơi")
        await driver.wait_messages(1)
    event = seen.events[0]
    assert event.kind is Kind.photo and event.text == "Họp thôn Ia Tơi"
    media = event.media[0]
    assert media.size == len(picture) and media.mime == "image/jpeg"
    assert spooled(settings, media.path)
    assert gone(media.path)  # the spool is emptied after the event


async def test_an_album_becomes_one_event(
    driver: Driver, mode: Mode, loa: Loa, seen: Seen
) -> None:
    driver.need("albums")
    pictures = [jpeg(colour=c) for c in ("red", "green", "blue")]
    async with driver.running(loa):
        first = await driver.photo(pictures, caption="Ba ảnh")
        await driver.wait_messages(1)
        await driver.say("/menu")
        await driver.wait_messages(2)
    photos = [event for event in seen.events if event.kind is Kind.photo]
    assert len(photos) == 1
    assert photos[0].update_id == first  # a redelivered album is known by its first item
    assert photos[0].text == "Ba ảnh"
    assert seen.files[0] == pictures
    assert seen.events[-1].command == "menu"  # the user's next message came after the album


async def test_voice_stickers_and_unusable_messages(driver: Driver, loa: Loa, seen: Seen) -> None:
    driver.need("voice")
    api = driver.api()
    async with api.running(loa):
        await api.voice(b"\xff\xf1 voice")
        await api.sticker()
        await api.unsupported()
        await api.wait_messages(3)
    assert [event.kind for event in seen.events] == [Kind.voice, Kind.sticker, Kind.unsupported]
    assert seen.files[0] == [b"\xff\xf1 voice"]
    texts = api.texts()
    assert texts[1] == vi(loa, "Nice sticker! Please type your question or pick a number.")
    assert texts[2] == vi(
        loa, "I can't use this kind of message here. Please type your question or pick a number."
    )


async def test_only_a_users_own_messages_are_answered(driver: Driver, loa: Loa) -> None:
    api = driver.api()
    async with api.running(loa):
        # Loa is a one-to-one assistant; other events and garbage are acknowledged and dropped.
        for update in (api.from_group("/start"), api.from_bot("/start"), *api.not_messages()):
            api.queue(update)
        await api.say("/menu")
        await api.wait_messages(1)
    assert len(api.fake.sent()) == 1


# --- delivery you can trust ------------------------------------------------------------------


async def test_the_same_update_twice_gets_one_answer(driver: Driver, mode: Mode, loa: Loa) -> None:
    driver.need("redelivery")
    api = driver.api()
    async with api.running(loa):
        await api.say_twice("/start")
        await driver.say("/menu")
        await driver.wait_messages(2)
        await asyncio.sleep(0.2)
    assert len(driver.messages()) == 2


async def test_the_webhook_checks_its_secret_and_takes_a_redelivery_once(
    driver: Driver, loa: Loa
) -> None:
    driver.need("webhook")
    api = driver.api()
    async with api.running(loa, mode="webhook", register=False), aiohttp.ClientSession() as http:
        start = api.update("/start")
        assert await api.post(http, start, secret="not-the-secret") == 401
        assert await api.post(http, start, secret=None) == 401
        assert await api.post(http, None, secret=api.secret, raw=b"{not json") == 400
        await asyncio.sleep(0.1)
        assert driver.messages() == []
        async with loa.db.session() as session:
            assert (await session.execute(select(ProcessedUpdate))).scalars().all() == []
        assert await api.post(http, start, secret=api.secret) == 200
        assert await api.post(http, start, secret=api.secret) == 200
        await driver.wait_messages(1)
        await asyncio.sleep(0.2)
    assert len(driver.messages()) == 1
    assert not api.fake.called("setWebhook")  # no URL configured: registered elsewhere


async def test_rate_limits_and_server_errors_are_retried(
    driver: Driver, loa: Loa, caplog: pytest.LogCaptureFixture
) -> None:
    api = driver.api()
    caplog.set_level(logging.WARNING)
    wait = {"retry_after": 1} if api.gives_retry_after else {}
    api.fail("sendMessage", 429, description="Too Many Requests", **wait)
    api.fail("sendMessage", 500)
    api.fail("sendMessage", 502, body="<html><body>502 Bad Gateway</body></html>")
    async with api.running(loa):
        await api.say("/start")
        await api.wait_messages(1)
    assert api.statuses("sendMessage") == [429, 500, 502, 200]
    if wait:
        assert "attempt 2 of 5 in 1.0 s" in caplog.text  # the wait Telegram asked for


async def test_a_send_that_times_out_is_not_repeated(driver: Driver, loa: Loa) -> None:
    api = driver.api()
    api.fail("sendMessage", 200, delay=0.8)
    async with api.running(loa, api_timeout_seconds=0.3):
        await api.say("/start")
        await api.fake.wait_for(lambda: api.fake.called("sendMessage"))
        await api.say("/menu")
        await api.wait_messages(2)  # the slow one arrived after all
    assert len(api.fake.called("sendMessage")) == 2


async def test_polling_survives_server_errors(driver: Driver, loa: Loa) -> None:
    driver.need("polling")
    api = driver.api()
    api.fail("getUpdates", 500, times=2)
    async with api.running(loa, mode="polling"):
        await api.say("/start")
        await api.wait_messages(1, within=20)
    assert api.statuses("getUpdates")[:2] == [500, 500]


async def test_a_user_who_blocked_the_bot_is_marked_unreachable(driver: Driver, loa: Loa) -> None:
    api = driver.api()
    api.block()
    async with api.running(loa):
        await api.say("/start")

        async def unreachable() -> bool:
            user = await stored_user(loa, api.name, str(api.user))
            return user is not None and user.unreachable

        await eventually(unreachable)
    assert api.statuses("sendMessage") == [403]  # a block is not retried


async def test_a_rejected_token_stops_the_start_with_a_clear_error(
    driver: Driver, loa: Loa
) -> None:
    driver.need("token")
    api = driver.api()
    with pytest.raises(ChannelError, match=api.token_variable) as raised:
        async with api.running(loa, **api.bad_token()):
            pass
    assert "not-the-token" not in str(raised.value)


# --- restarts --------------------------------------------------------------------------------


async def test_a_restart_mid_conversation_continues_it(
    driver: Driver, settings: Settings, loa: Loa, clock: object
) -> None:
    async with driver.running(loa):
        await driver.choose_vietnamese()
    count = len(driver.messages())
    second = await Loa.start(settings, clock=clock)  # type: ignore[arg-type]
    try:
        async with driver.running(second):
            await driver.pick("Liên hệ")  # in the main menu shown before the restart
            await driver.wait_messages(count + 1)
    finally:
        await second.close()
    assert "Liên hệ cơ quan phụ trách" in driver.texts()[-1]
