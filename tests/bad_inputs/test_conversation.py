"""Bad moves in a conversation: forged buttons on someone else's report or question, invite
codes guessed, markup in the names officers read.

The conversation cases run through the engine (as every channel hands events to it); the names
officers read go through the Telegram adapter and its fake, whose HTML parser refuses what
Telegram refuses, so a name that broke the markup would break the notice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bot.app import Loa
from bot.core.chat import CHOICE_VERSION, to_plain
from bot.core.config import ROOT, Settings
from db.models import JoinFailure, Report, Role, Ticket
from tests.bad_inputs.common import (
    FORBIDDEN,
    ONLY_WORDS,
    TOO_LONG,
    Answered,
    Expect,
    Reads,
    judged,
)
from tests.channels.telegram import TelegramDriver
from tests.fakes.runtime import LOA, loa_env, stored_user, vi
from tests.fakes.telegram import FakeTelegram
from tests.fixtures.cast import Cast, cast, press
from tests.fixtures.reporting import invite_codes, joined
from tests.helpers import Chat
from tests.test_review import _submit
from tests.test_tickets import ask

REPORT_WORDS = "Đến từng nhà phổ biến chính sách hỗ trợ nhà ở."  # what the report says
QUESTION = "Gia đình tôi ở thôn 3 chưa nhận được tiền hỗ trợ nước sạch"
NOT_YOURS = "Report #{number} is not one of the reports you review."
NOT_YOUR_REPORT = "Report #{number} is not one of your reports."
NOT_YOUR_QUESTIONS = "Question #{number} is not one of the questions you answer."
NOT_YOUR_QUESTION = "Question #{number} is not one of your questions."
ROUND_MOVED = (
    "The reporter has answered since you saw report #{number}, so this decision was not made. "
    "Open the report to see their answer, then decide."
)
NEW_REPORT = "Báo cáo mới"  # a forged "continue" on someone else's draft starts one's own


@dataclass(frozen=True)
class Move:
    """Someone who should not touches a report or a question that is not theirs."""

    name: str
    who: str  # a Cast role, or "stranger" (a second reporter of the same commune)
    payload: str  # a button's data ({report}, {ticket} filled in), or a typed text
    expect: Expect
    typed: bool = False


MOVES: tuple[Move, ...] = (
    Move(
        "officer of another unit opens the report",
        Cast.other_officer,
        "rv:open:{report}",
        Reads(NOT_YOURS),
    ),
    Move(
        "officer of another unit approves it",
        Cast.other_officer,
        "rv:ok:{report}:1",
        Reads(NOT_YOURS),
    ),
    Move(
        "officer of another unit rejects it",
        Cast.other_officer,
        "rv:no:{report}:1",
        Reads(NOT_YOURS),
    ),
    Move(
        "officer of another unit asks about it",
        Cast.other_officer,
        "rv:ask:{report}:1",
        Reads(NOT_YOURS),
    ),
    Move("villager approves it", Cast.villager, "rv:ok:{report}:1", Reads(FORBIDDEN)),
    Move("revoked officer approves it", Cast.revoked, "rv:ok:{report}:1", Reads(FORBIDDEN)),
    Move(
        "reporter approves their own report", Cast.reporter, "rv:ok:{report}:1", Reads(FORBIDDEN)
    ),
    Move(
        "officer approves with a forged round",
        Cast.officer,
        "rv:ok:{report}:99",
        Reads(ROUND_MOVED),
    ),
    Move(
        "officer approves a report id that does not exist",
        Cast.officer,
        "rv:ok:99999999:1",
        Reads(NOT_YOURS),
    ),
    Move(
        "another reporter reopens the report", "stranger", "rp:re:{report}", Reads(NOT_YOUR_REPORT)
    ),
    Move(
        "another reporter answers for it", "stranger", "rp:more:{report}", Reads(NOT_YOUR_REPORT)
    ),
    Move("another reporter withdraws it", "stranger", "rp:wd:{report}", Reads(NOT_YOUR_REPORT)),
    Move(
        "another reporter sends it", "stranger", "rp:go:{report}", Reads(NEW_REPORT, literal=True)
    ),
    Move(
        "officer of another unit answers the question",
        Cast.other_officer,
        "/answer {ticket} Đã có tiền rồi",
        Reads(NOT_YOUR_QUESTIONS),
        typed=True,
    ),
    Move(
        "officer of another unit opens the question",
        Cast.other_officer,
        "tk:ans:{ticket}",
        Reads(NOT_YOUR_QUESTIONS),
    ),
    Move(
        "reporter answers the question",
        Cast.reporter,
        "/answer {ticket} Có rồi",
        Reads(FORBIDDEN),
        typed=True,
    ),
    Move(
        "someone else closes the question",
        "stranger",
        "tk:close:{ticket}",
        Reads(NOT_YOUR_QUESTION),
    ),
)


async def _statuses(loa: Loa, report_id: int, ticket_id: int) -> tuple[str, str]:
    """Where the report and the question are."""
    async with loa.db.session() as session:
        report = await session.get(Report, report_id)
        ticket = await session.get(Ticket, ticket_id)
        assert report is not None and ticket is not None
        return report.status, ticket.status


async def test_forged_moves_on_someone_elses_report_and_question(loa: Loa, tmp_path: Path) -> None:
    chats = await cast(loa)
    chats_by_name: dict[str, Chat] = {str(role): chat for role, chat in chats.items()}
    chats_by_name["stranger"] = await joined(loa, "stranger", Role.reporter, "ia-toi")
    await _submit(chats[Cast.reporter], tmp_path)
    await ask(chats[Cast.villager], QUESTION)
    async with loa.db.session() as session:
        (report_id,) = (await session.execute(select(Report.id))).scalars()
        (ticket_id,) = (await session.execute(select(Ticket.id))).scalars()
    before = await _statuses(loa, report_id, ticket_id)
    assert before == ("submitted", "open")
    wrong: list[str] = []
    for move in MOVES:
        chat = chats_by_name[move.who]
        filled = move.payload.format(report=report_id, ticket=ticket_id)
        if move.typed:
            replies = await chat.send(filled)
        else:
            replies = await press(chat, f"{CHOICE_VERSION}:{filled}")
        texts = [to_plain(reply.text) for reply in replies]
        problem = judged(loa, move.expect, texts)
        leaked = [w for w in (REPORT_WORDS, QUESTION) if any(w in text for text in texts)]
        if problem is None and leaked:
            problem = f"showed {leaked}"
        after = await _statuses(loa, report_id, ticket_id)
        if problem is None and after != before:
            problem = f"changed {after}"
        if problem:
            wrong.append(f"{move.name}: {problem}")
        await chat.send("/cancel")
    assert not wrong, "\n".join(wrong)
    # The officer of the unit sees it all, and decides.
    await press(chats[Cast.officer], f"{CHOICE_VERSION}:rv:open:{report_id}")
    assert REPORT_WORDS in chats[Cast.officer].text


# Codes people type at /join: none opens anything, each is answered politely.
CODES: tuple[tuple[str, str], ...] = (
    ("SQL in the code", "' OR '1'='1' --"),
    ("markup in the code", "<b>ABCD</b>-<script>"),
    ("a code of 3000 letters", "A" * 3000),
    ("full-width digits", "ＡＢＣＤ－１２３４－５６"),
)
WRONG_CODE = "That code is not valid. Please check it and type it again ({left} tries left)."
LAST_TRY = (
    "That code is not valid. You have no tries left this hour; please check the code with your "
    "officer."
)
LOCKED = (
    "Too many wrong codes. For your safety, please try again after {time}, or ask your officer "
    "to check the code."
)


async def test_invite_codes_cannot_be_guessed(loa: Loa) -> None:
    guesser = Chat(loa.engine, user="guesser")
    await guesser.send("/start")
    await guesser.press("Tiếng Việt")
    wrong: list[str] = []
    for name, code in CODES:
        await guesser.send(f"/join {code}")
        problem = judged(loa, Reads(WRONG_CODE), [guesser.text])
        if problem:
            wrong.append(f"{name}: {problem}")
    assert not wrong, "\n".join(wrong)
    await guesser.send("/join ZZZZ-ZZZZ-ZZ")  # the fifth wrong code this hour
    assert judged(loa, Reads(LAST_TRY), [guesser.text]) is None, guesser.text
    (real,) = await invite_codes(loa, Role.admin, "ia-hdrai")
    await guesser.send(f"/join {real}")  # even the right code waits an hour now
    assert judged(loa, Reads(LOCKED), [guesser.text]) is None, guesser.text
    user = await stored_user(loa, "test", "guesser")
    assert user is not None and user.role == Role.villager.value
    async with loa.db.session() as session:
        failures = list((await session.execute(select(JoinFailure))).scalars())
    assert len(failures) == 5
    # Someone else (with their own count) still redeems the same code.
    other = Chat(loa.engine, user="rightful")
    await other.send(f"/join {real}")
    assert "Chào mừng" in other.text


NAMES = (
    "<b>Y Blong</b> & <a href='tg://user?id=1'>cán bộ</a>",
    "Ksor <script>alert(1)</script> H'Hen",
    "R'Châm </i>&amp;<i>",
)


async def test_markup_in_names_reaches_officers_as_plain_text(
    settings: Settings, loa: Loa
) -> None:
    officer = 7_300_000
    async with FakeTelegram() as tg:
        driver = TelegramDriver(settings, "webhook", tg)
        async with driver.running(loa, register=False):
            # The fake posts every update to Loa's webhook, as Telegram does once registered.
            tg.webhook_url, tg.webhook_secret = driver.webhook_url, driver.secret
            (code,) = await invite_codes(loa, Role.officer, "ia-toi")
            tg.text(officer, "/start")
            await tg.wait_sent(officer, 1)
            tg.press(officer, tg.button(officer, "Tiếng Việt"))
            await tg.wait_sent(officer, 2)
            tg.text(officer, f"/join {code}")
            await tg.wait_for(lambda: any("Chào mừng" in t for t in tg.texts(officer)))
            for number, name in enumerate(NAMES, 1):
                villager = officer + number
                for step, (kind, what) in enumerate(QUESTION_STEPS, 1):
                    if kind == "press":
                        tg.press(villager, tg.button(villager, what), name=name)
                    else:
                        tg.text(villager, what, name=name)
                    await tg.wait_sent(villager, step)
                # The officer's notice names the villager exactly as they called themselves.
                await tg.wait_for(lambda n=name: any(n in t for t in tg.texts(officer)))
    assert all(call.ok for call in tg.called("sendMessage"))  # no markup Telegram refused


# A villager's way to a question with their name, on Telegram.
QUESTION_STEPS = (
    ("text", "/start"),
    ("press", "Tiếng Việt"),
    ("press", "Ia Tơi"),
    ("text", "/question"),
    ("press", "kèm tên"),
    ("text", "Khi nào thôn tôi có điện?"),
)


ONLY_WORDS_OR_ANSWER = ""  # any polite answer: searched, or "only words and numbers"
# Lines typed (or piped) into the console, as raw bytes: each is answered, none stops it.
CONSOLE_LINES: tuple[tuple[str, bytes, str], ...] = (
    ("bytes that are no UTF-8", b"\xff\xfe xin ch\xe0o", ONLY_WORDS_OR_ANSWER),
    ("an encoded surrogate", b"h\xed\xa0\x80 tr\xe1\xbb\xa3", ONLY_WORDS_OR_ANSWER),
    ("NUL and bell", b"\x00\x07 nha toi duoc ho tro", ONLY_WORDS_OR_ANSWER),
    ("a 50 kB line", "nhà ".encode() * 12_500, TOO_LONG),
    ("escape sequences only", b"\x1b\x1b\x1b\x07", ONLY_WORDS),
)


async def test_console_takes_any_bytes(settings: Settings, loa: Loa) -> None:
    script = b"/start\n" + b"".join(line + b"\n" for _, line, _ in CONSOLE_LINES) + b"/help\n"
    process = await asyncio.create_subprocess_exec(
        str(LOA),
        "run",
        env=loa_env(settings, LANG="C.UTF-8"),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(script), 120)
    shown = out.decode("utf-8", "replace")
    assert process.returncode == 0, err.decode()[-2000:]
    assert judged(loa, Answered(), [shown]) is None, shown[-2000:]
    for _, _, expected in CONSOLE_LINES:
        if expected != ONLY_WORDS_OR_ANSWER:
            assert vi(loa, expected).split("{")[0] in shown
    assert "/help" in shown.rsplit("Tôi là Loa", 1)[-1]  # the last line was still answered
