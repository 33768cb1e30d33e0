"""Bad requests to the webhooks, over real HTTP: broken bodies, odd updates, odd texts.

Each case is one POST to Loa's `/webhook/telegram` or `/webhook/zalo` from its own user, and
says the HTTP status the platform must get and what that user then reads (or that Loa stays
silent and stores nothing of them).
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from bot.app import Loa
from bot.core.config import Settings
from tests.bad_inputs.common import (
    CANT_USE,
    EMPTY,
    GREETING,
    ONLY_WORDS,
    STALE,
    TOO_LONG,
    UNKNOWN_COMMAND,
    Answered,
    Expect,
    Reads,
    Silent,
    judged,
)
from tests.channels.driver import ApiDriver
from tests.channels.telegram import TelegramDriver
from tests.channels.zalo import ZaloDriver
from tests.fakes.common import Json
from tests.fakes.runtime import stored_user
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo

Body = Callable[[Any, Any], "bytes | Json | list[Any]"]  # (fake, user id) -> what is POSTed
JSON_TYPE = "application/json"
HUGE = 2 * 1024 * 1024  # over aiohttp's 1 MiB body limit


@dataclass(frozen=True)
class Post:
    """One request to a webhook, and what must come of it."""

    name: str
    body: Body
    status: int = 200
    expect: Expect = field(default_factory=Silent)
    content_type: str = JSON_TYPE
    secret: str | None = "right"  # "right", "wrong", or None for no header


def nested(depth: int) -> bytes:
    """JSON nested `depth` levels deep (a parser's recursion limit)."""
    return b"[" * depth + b"]" * depth


# --- Telegram -------------------------------------------------------------------------------


def tg_text(text: Any, **message: Any) -> Body:
    """A private message with `text` (any JSON value), fields of the message changed."""

    def body(fake: FakeTelegram, user: int) -> Json:
        update = fake.unsent(user, text=text)
        update["message"].update(message)
        return update

    return body


def tg_raw(data: bytes) -> Body:
    """These bytes, as they are."""
    return lambda fake, user: data


def tg_update(**content: Any) -> Body:
    """An update with these fields (the user's id where the value is the string "USER")."""

    def body(fake: FakeTelegram, user: int) -> Json:
        filled = json.loads(json.dumps(content).replace('"USER"', str(user)))
        return fake.update(**filled)

    return body


def tg_press(data: Any) -> Body:
    """The user presses a button carrying `data` (forged: no such button was sent)."""

    def body(fake: FakeTelegram, user: int) -> Json:
        sender = {"id": user, "is_bot": False, "first_name": "A"}
        chat = {"id": user, "type": "private"}
        query = {
            "id": "q1",
            "from": sender,
            "data": data,
            "message": {"message_id": 1, "date": 0, "chat": chat},
        }
        return fake.update(callback_query=query)

    return body


def tg_name(name: str) -> Body:
    """ "/start" from a user whose first name is `name`."""

    def body(fake: FakeTelegram, user: int) -> Json:
        update = fake.unsent(user, text="/start")
        update["message"]["from"]["first_name"] = name
        return update

    return body


def tg_group(text: str) -> Body:
    """The user writes `text` in a group the bot is in."""
    return tg_text(text, chat={"id": -1001234, "type": "supergroup", "title": "Thôn 1"})


TELEGRAM: tuple[Post, ...] = (
    # Bodies that are no update at all.
    Post("invalid UTF-8", tg_raw(b'{"update_id": 1, "message": "\xff\xfe\xc3("}'), 400),
    Post("truncated JSON", tg_raw(b'{"update_id": 5, "message": {"text": "/st'), 400),
    Post("JSON array", tg_raw(b"[1, 2, 3]"), 400),
    Post("JSON string", tg_raw(b'"update"'), 400),
    Post("JSON null", tg_raw(b"null"), 400),
    Post("empty body", tg_raw(b""), 400),
    Post("nested 100000 deep", tg_raw(nested(100_000)), 400),
    Post("2 MiB of JSON", tg_raw(b'{"pad": "' + b"a" * HUGE + b'"}'), 413),
    Post("form-encoded", tg_raw(b"update_id=1&text=hi"), 400, content_type="text/plain"),
    Post("XML", tg_raw(b"<update><id>1</id></update>"), 400, content_type="application/xml"),
    Post("no secret", tg_text("/start"), 401, secret=None),
    Post("wrong secret", tg_text("/start"), 401, secret="wrong"),
    # A JSON update with the wrong content type is still the platform's update.
    Post(
        "JSON as text/plain",
        tg_text("/start"),
        expect=Reads(GREETING, literal=True),
        content_type="text/plain",
    ),
    # Updates Loa does not take: ignored, nothing stored.
    Post("no update_id", lambda fake, user: {"message": fake.unsent(user, text="hi")["message"]}),
    Post("update_id a word", tg_update(update_id="x", message={"text": "hi"})),
    Post("message a string", tg_update(message="garbage")),
    Post("sender id a word", tg_text("/start", **{"from": {"id": "abc", "is_bot": False}})),
    Post(
        "edited message",
        tg_update(
            edited_message={
                "message_id": 1,
                "date": 0,
                "text": "x",
                "chat": {"id": "USER", "type": "private"},
                "from": {"id": "USER"},
            }
        ),
    ),
    Post(
        "channel post",
        tg_update(
            channel_post={
                "message_id": 2,
                "date": 0,
                "text": "/start",
                "chat": {"id": -100, "type": "channel"},
            }
        ),
    ),
    Post("a bot writes", tg_text("/start", **{"from": {"id": 1, "is_bot": True}})),
    Post("command in a group", tg_group("/start")),
    Post("admin command in a group", tg_group("/invite")),
    Post("question in a group", tg_group("nhà tôi được hỗ trợ bao nhiêu")),
    Post("unknown update kind", tg_update(chat_boost={"chat": {"id": 1}})),
    # Texts: each answered politely, in Vietnamese.
    Post("empty text", tg_text(""), expect=Reads(EMPTY)),
    Post("only spaces and newlines", tg_text(" \n\t \r\n "), expect=Reads(EMPTY)),
    Post("zero-width only", tg_text("\u200b\u200c\u200d\ufeff\u2060"), expect=Reads(ONLY_WORDS)),
    Post("control characters", tg_text("\x01\x02\x07\x1b\x7f\x0b"), expect=Reads(ONLY_WORDS)),
    Post("NUL inside words", tg_text("nha toi\x00 duoc ho tro\x00 bao nhieu"), expect=Answered()),
    Post("lone surrogate", tg_text("hỗ trợ \ud800 làm nhà"), expect=Answered()),
    Post("emoji only", tg_text("👍🙏🏽❤️"), expect=Reads(ONLY_WORDS)),
    Post("right-to-left override", tg_text("\u202eahn mal ort oh"), expect=Answered()),
    Post("4097 characters", tg_text("a" * 4097), expect=Reads(TOO_LONG)),
    Post("a 50 kB message", tg_text("nhà " * 12_500), expect=Reads(TOO_LONG)),
    Post("5000 combining marks", tg_text("a" + "\u0301" * 5000), expect=Reads(TOO_LONG)),
    Post("text a number", tg_text(12345), expect=Reads(CANT_USE)),
    Post("text an object", tg_text({"x": 1}), expect=Reads(CANT_USE)),
    Post("a huge number", tg_text("9" * 400), expect=Answered()),
    Post("unknown command", tg_text("/khongco"), expect=Reads(UNKNOWN_COMMAND)),
    Post("markup in a command", tg_text("/<b>x</b>"), expect=Answered()),
    Post("a command 3000 long", tg_text("/join " + "A" * 3000), expect=Answered()),
    Post(
        "a name with NUL and a lone surrogate",
        tg_name("Y\x00 Bl\udc00ong"),
        expect=Reads(GREETING, True),
    ),
    Post("a name of 10 000 letters", tg_name("Ê" * 10_000), expect=Reads(GREETING, True)),
    # Far-off clocks: Loa does not trust the platform's date, and answers.
    Post("date in 36812", tg_text("/start", date=2**40), expect=Reads(GREETING, True)),
    Post("date before 1970", tg_text("/start", date=-86_400), expect=Reads(GREETING, True)),
    Post("date a word", tg_text("/start", date="hôm qua"), expect=Reads(GREETING, True)),
    # Forged buttons.
    Post("button of another bot", tg_press("like:42"), expect=Reads(STALE)),
    Post("button of 5 kB", tg_press("v1:" + "x" * 5000), expect=Reads(STALE)),
    Post("button data a number", tg_press(7), expect=Reads(STALE)),
)


# --- Zalo -----------------------------------------------------------------------------------


def zl_event(event: str, **message: Any) -> Body:
    """A flat update of `event` from the user, fields of its message changed."""

    def body(fake: FakeZalo, user: str) -> Json:
        return fake.message(user, event, **message)

    return body


def zl_raw(data: bytes) -> Body:
    """These bytes, as they are."""
    return lambda fake, user: data


ZALO: tuple[Post, ...] = (
    Post("invalid UTF-8", zl_raw(b'{"event_name": "message.text.received", "\xff": 1}'), 400),
    Post("truncated JSON", zl_raw(b'{"event_name": "message.text.rec'), 400),
    Post("nested 100000 deep", zl_raw(nested(100_000)), 400),
    Post("2 MiB of JSON", zl_raw(b'{"pad": "' + b"a" * HUGE + b'"}'), 413),
    Post("no secret", zl_event("message.text.received", text="/start"), 401, secret=None),
    Post("wrong secret", zl_event("message.text.received", text="/start"), 401, secret="wrong"),
    Post("JSON array", zl_raw(b"[1, 2]")),
    Post("no message", lambda fake, user: {"event_name": "user.follow", "user_id": user}),
    Post("unknown event, no message", zl_event("oa.follow.unknown")),
    Post(
        "group message",
        zl_event("message.text.received", text="/start", chat={"id": "g-1", "chat_type": "GROUP"}),
    ),
    Post(
        "unknown message event",
        zl_event("message.location.received", location={"lat": 14.1, "long": 107.6}),
        expect=Reads(CANT_USE),
    ),
    Post(
        "event name a number",
        lambda fake, user: (
            fake.message(user, "message.text.received", text="hi") | {"event_name": 42}
        ),
        expect=Answered(),
    ),
    Post("text a list", zl_event("message.text.received", text=["a"]), expect=Reads(CANT_USE)),
    Post(
        "zero-width text",
        zl_event("message.text.received", text="\u200b\u200b"),
        expect=Reads(ONLY_WORDS),
    ),
    Post("NUL text", zl_event("message.text.received", text="xin\x00chao\x00"), expect=Answered()),
    Post(
        "a 50 kB message",
        zl_event("message.text.received", text="ê" * 50_000),
        expect=Reads(TOO_LONG),
    ),
    Post(
        "date in 2500, no message id",
        zl_event("message.text.received", text="/start", date=16_725_225_600_000, message_id=None),
        expect=Reads("1. Tiếng Việt", True),
    ),
    Post(
        "image from a foreign host",
        zl_event("message.image.received", photo_url="https://evil.example/a.jpg"),
        expect=Answered(),
    ),
)


SENTINEL = Post("sentinel", tg_raw(b""))  # "/sentinel", after each case


def _until_sentinel(texts: list[str]) -> list[str] | None:
    """The texts up to the answer to "/sentinel" (None until it came)."""
    for index, text in enumerate(texts):
        if "/sentinel" in text:
            return texts[: index + 1]
    return None


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client."""
    async with aiohttp.ClientSession() as session:
        yield session


async def _status_problem(
    http: aiohttp.ClientSession, driver: ApiDriver, case: Post, body: Any
) -> str | None:
    """POST `body` to the driver's webhook as `case` says; what is wrong with the status."""
    headers = {"Content-Type": case.content_type}
    if case.secret is not None:
        secret = driver.secret
        headers[driver.secret_header] = secret if case.secret == "right" else secret[::-1]
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with http.post(driver.webhook_url, data=io.BytesIO(data), headers=headers) as answer:
        status = answer.status
    return None if status == case.status else f"HTTP {status}, not {case.status}"


async def _run(
    http: aiohttp.ClientSession,
    loa: Loa,
    driver: ApiDriver,
    cases: tuple[Post, ...],
    user_of: Callable[[int], Any],
    answers: Callable[[Any], Awaitable[list[str]]],
) -> list[str]:
    """Every case from its own user; what went wrong (the HTTP status, what the user read,
    the sender stored where Loa should have stayed silent)."""
    wrong: list[str] = []
    for number, case in enumerate(cases):
        user = user_of(number)
        problem = await _status_problem(http, driver, case, case.body(driver.fake, user))
        # Checked as soon as the webhook answered: an update Loa ignores is dropped before
        # that answer, and nothing of it may be in the database.
        silent = problem is None and isinstance(case.expect, Silent)
        if silent and await stored_user(loa, driver.name, str(user)) is not None:
            problem = "stored the sender"
        if problem is None:
            problem = judged(loa, case.expect, await answers(user))
        if problem:
            wrong.append(f"{case.name}: {problem}")
    return wrong


def _telegram_answers(tg: FakeTelegram) -> Callable[[Any], Awaitable[list[str]]]:
    async def answers(user: int) -> list[str]:
        # Telegram's webhook answers once the update is handled: replies are out.
        return tg.texts(user)

    return answers


def _zalo_answers(
    http: aiohttp.ClientSession, driver: ApiDriver, zl: FakeZalo
) -> Callable[[Any], Awaitable[list[str]]]:
    async def answers(user: str) -> list[str]:
        # Zalo's webhook answers at once; the user's next message waits behind this one in
        # their lane, so once that is answered, this one's answer is out too.
        after = zl.message(user, "message.text.received", text="/sentinel")
        await _status_problem(http, driver, SENTINEL, after)
        texts: list[str] = await zl.wait_for(lambda: _until_sentinel(zl.texts(user)))
        return texts[:-1]

    return answers


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_webhook_corpus(
    channel: str, settings: Settings, loa: Loa, http: aiohttp.ClientSession
) -> None:
    if channel == "telegram":
        async with FakeTelegram() as tg:
            driver: ApiDriver = TelegramDriver(settings, "webhook", tg)
            async with driver.running(loa, register=False):
                wrong = await _run(
                    http, loa, driver, TELEGRAM, lambda n: 7_100_000 + n, _telegram_answers(tg)
                )
    else:
        async with FakeZalo() as zl:
            driver = ZaloDriver(settings, "webhook", zl)
            async with driver.running(loa, register=False):
                answers = _zalo_answers(http, driver, zl)
                wrong = await _run(http, loa, driver, ZALO, lambda n: f"bad{n:04d}", answers)
    assert not wrong, "\n".join(wrong)


def test_the_webhook_tables_are_large_enough() -> None:
    assert len(TELEGRAM) + len(ZALO) >= 60
    assert len({case.name for case in TELEGRAM}) == len(TELEGRAM)
    assert len({case.name for case in ZALO}) == len(ZALO)
