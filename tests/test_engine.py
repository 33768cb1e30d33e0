"""The engine through its public entry point: what a user sees, and what is stored."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select

from bot.app import Loa
from bot.core.chat import Incoming, Kind, Reply
from bot.engine import Context, Engine, Router
from db.models import Conversation, Feedback, ProcessedUpdate, User
from tests.helpers import Chat, fresh_update_id


async def _conversation(loa: Loa, user: str) -> Conversation:
    async with loa.db.session() as session:
        stmt = (
            select(Conversation)
            .join(User, User.id == Conversation.user_id)
            .where(User.external_id == user)
        )
        return (await session.execute(stmt)).scalar_one()


async def test_start_offers_languages_and_number_one_opens_vietnamese_menu(chat: Chat) -> None:
    await chat.then("/start", "Loa")
    assert [c.label for c in chat.choices][:4] == [
        "Tiếng Việt",
        "Tiếng Ba Na",
        "Tiếng Xơ Đăng",
        "Tiếng Gia Rai",
    ]
    await chat.send("1")
    assert "Dữ liệu của bạn" in chat.text  # first contact: the privacy notice
    await chat.press("Bỏ qua")  # the commune, asked once
    assert "Menu chính" in chat.text
    labels = [c.label for c in chat.choices]
    assert "Chương trình MTQG và 10 dự án" in labels
    assert "Kế hoạch truyền thông của huyện" in labels
    assert "Hỏi một câu" in labels
    assert "Đổi ngôn ngữ" in labels


async def test_language_choice_is_stored(loa: Loa, chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("Gia Rai")
    async with loa.db.session() as session:
        user = (await session.execute(select(User))).scalar_one()
    assert user.language == "jra"


async def test_browse_programme_children_back_and_home(chat: Chat) -> None:
    await chat.send("/start")
    await chat.send("1")
    await chat.send(chat.number("Bỏ qua"))
    await chat.send(chat.number("Chương trình MTQG"))
    assert "1719" in chat.text
    assert any(c.label.startswith("Dự án 1") for c in chat.choices)
    await chat.then("[Dự án 1]", "Dự án 1")
    await chat.then("[Xem thêm]", "Nguồn:")
    await chat.then("[Quay lại]", "1719")
    await chat.then("[Menu chính]", "Menu chính")


async def test_typed_number_and_button_reach_the_same_page(chat: Chat) -> None:
    await chat.send("/menu")
    await chat.press("Kế hoạch truyền thông")
    by_button = chat.text
    await chat.send("/menu")
    await chat.send(chat.number("Kế hoạch truyền thông"))
    assert chat.text == by_button


async def test_feedback_is_stored_once_per_press(loa: Loa, chat: Chat) -> None:
    await chat.script("/menu", "[Kế hoạch truyền thông]", "[Có ích]")
    assert "Cảm ơn" in chat.text
    async with loa.db.session() as session:
        rows = (await session.execute(select(Feedback))).scalars().all()
    assert [(r.topic_id, r.helpful, r.language) for r in rows] == [("ke-hoach", True, "vi")]


async def test_duplicate_update_id_is_answered_once_and_stored_once(loa: Loa, chat: Chat) -> None:
    await chat.send("/menu")
    await chat.press("Kế hoạch truyền thông")
    payload = chat.choice("Có ích")
    event = Incoming("test", chat.user, "same-id", Kind.choice, choice=payload)
    first = await loa.engine.handle(event)
    second = await loa.engine.handle(event)
    assert first and "Cảm ơn" in first[0].text
    assert second == []
    async with loa.db.session() as session:
        count = (await session.execute(select(func.count()).select_from(Feedback))).scalar()
        seen = (
            await session.execute(
                select(func.count())
                .select_from(ProcessedUpdate)
                .where(ProcessedUpdate.update_id == "same-id")
            )
        ).scalar()
    assert count == 1
    assert seen == 1


async def test_concurrent_duplicates_are_answered_once(loa: Loa, chat: Chat) -> None:
    event = Incoming.from_text("test", chat.user, "dup-1", "/menu")
    answers = await asyncio.gather(*(loa.engine.handle(event) for _ in range(5)))
    assert sum(1 for answer in answers if answer) == 1


async def test_restart_mid_conversation_continues(loa: Loa, settings, clock) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(loa.engine, user="restarter")
    await chat.send("/menu")
    await chat.then("[Hỏi một câu]", "gõ câu hỏi")
    await loa.close()

    again = await Loa.start(settings, clock=clock)
    try:
        resumed = Chat(again.engine, user="restarter")
        await resumed.send("che do cho nguoi co uy tin")
        assert "Bạn hỏi" in resumed.text or "Người có uy tín" in resumed.text
        # The numbered choices shown before a restart still answer by number after it.
        await resumed.send("/menu")
        number = resumed.number("Liên hệ")
        await again.close()
        third = await Loa.start(settings, clock=clock)
        try:
            final = Chat(third.engine, user="restarter")
            await final.send(number)
            assert "Liên hệ" in final.text
        finally:
            await third.close()
    finally:
        await again.close()


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("/nosuchcommand", "Tôi không biết lệnh /nosuchcommand"),
        ("   ", "Tin nhắn trống"),
        ("x" * 50_000, "quá dài (50000 ký tự)"),
        ("😀😀😀", "Tôi chỉ đọc được chữ và số"),
        ("99", "Bạn hãy gửi một số từ 1 đến"),
    ],
)
async def test_bad_text_is_answered_politely_and_leaves_the_conversation(
    loa: Loa, chat: Chat, message: str, expected: str
) -> None:
    await chat.send("/menu")
    menu = list(chat.choices)
    before = await _conversation(loa, chat.user)
    await chat.send(message)
    assert expected in chat.text
    assert list(chat.choices) == menu  # the same choices are offered again
    after = await _conversation(loa, chat.user)
    assert (after.step, after.data, after.choices) == (before.step, before.data, before.choices)
    await chat.send(chat.number("Liên hệ"))
    assert "Liên hệ" in chat.text


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (Kind.sticker, "Nhãn dán"),
        (Kind.photo, "Cảm ơn bạn đã gửi ảnh"),
        (Kind.voice, "chưa nghe được"),
        (Kind.unsupported, "chưa dùng được loại tin nhắn"),
    ],
)
async def test_non_text_where_text_is_expected(
    loa: Loa, chat: Chat, kind: Kind, expected: str
) -> None:
    await chat.send("/menu")
    await chat.press("Hỏi một câu")
    before = await _conversation(loa, chat.user)
    await chat.event(kind)
    assert expected in chat.text or "gõ câu hỏi bằng chữ" in chat.text
    after = await _conversation(loa, chat.user)
    assert after.step == before.step == "ask.question"


async def test_cancel_from_a_step_returns_to_the_menu(loa: Loa, chat: Chat) -> None:
    for word in ("/cancel", "hủy", "Huy", "/huy"):
        await chat.send("/menu")
        await chat.press("Hỏi một câu")
        await chat.send(word)
        assert "Đã hủy" in chat.text
        assert "Menu chính" in chat.text
        assert (await _conversation(loa, chat.user)).step is None


async def test_stale_button_gets_polite_answer_and_menu(chat: Chat) -> None:
    event = Incoming("test", chat.user, fresh_update_id(), Kind.choice, choice="v0:old:thing")
    await chat.deliver(event)
    assert "Nút này đã cũ" in chat.text
    assert "Menu chính" in chat.text
    event = Incoming("test", chat.user, fresh_update_id(), Kind.choice, choice="v1:t:no-such")
    await chat.deliver(event)
    assert "không còn nữa" in chat.text


async def test_user_text_is_escaped_when_quoted(chat: Chat) -> None:
    await chat.send("/menu")
    await chat.send("**con meo** \\ nha hang xom")  # words search cannot place: quoted back
    quoted = chat.last[0].text
    assert "\\*\\*con meo\\*\\* \\\\ nha hang xom" in quoted
    assert "**con meo** \\ nha hang xom" in chat.text


async def test_error_in_a_handler_is_logged_rolled_back_and_apologised(
    loa: Loa, caplog: pytest.LogCaptureFixture
) -> None:
    boom = Router("boom")

    @boom.command("boom")
    async def explode(event: Incoming, ctx: Context) -> Reply:
        ctx.user.language = "bdq"  # a write that must be rolled back
        raise RuntimeError("handler bug")

    engine = Engine(loa.db, loa.services, [*loa.engine.routers, boom])
    chat = Chat(engine, user="unlucky")
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    with caplog.at_level(logging.ERROR):
        await chat.send("/boom", update_id="boom-1")
    assert "Xin lỗi, hệ thống của chúng tôi vừa gặp lỗi" in chat.text
    assert any("boom-1" in record.getMessage() for record in caplog.records)
    async with loa.db.session() as session:
        user = (
            await session.execute(select(User).where(User.external_id == "unlucky"))
        ).scalar_one()
    assert user.language == "vi"
    # The process goes on: the next message is answered normally.
    await chat.then("/menu", "Menu chính")


async def test_one_users_updates_run_in_order_and_users_run_concurrently(loa: Loa) -> None:
    order: list[str] = []
    gate = asyncio.Event()
    slow = Router("slow")

    @slow.command("slow")
    async def wait(event: Incoming, ctx: Context) -> Reply:
        order.append(f"start {event.args}")
        if event.args == "a1":
            await gate.wait()
        order.append(f"end {event.args}")
        return Reply("ok")

    engine = Engine(loa.db, loa.services, [*loa.engine.routers, slow])
    a1 = asyncio.create_task(engine.handle(Incoming.from_text("test", "a", "a1", "/slow a1")))
    await asyncio.sleep(0.05)
    a2 = asyncio.create_task(engine.handle(Incoming.from_text("test", "a", "a2", "/slow a2")))
    b1 = asyncio.create_task(engine.handle(Incoming.from_text("test", "b", "b1", "/slow b1")))
    if not loa.db.is_sqlite:
        # PostgreSQL: b is not held up by a's slow update.
        await asyncio.wait_for(b1, timeout=10)
        assert "end b1" in order
    # (SQLite allows one writing transaction at a time, so there b waits for a1's commit.)
    assert "start a2" not in order
    gate.set()
    answers = await asyncio.gather(a1, a2, b1)
    assert order.index("end a1") < order.index("start a2")
    assert all(answer and answer[0].text == "ok" for answer in answers)


async def test_units_from_the_org_file_are_stored(loa: Loa) -> None:
    from db.models import Unit

    async with loa.db.session() as session:
        units = {u.id: u for u in (await session.execute(select(Unit))).scalars()}
    assert {"ia-hdrai", "ia-dom", "ia-dal", "ia-toi", "phong-ldtbxh"} <= set(units)
    assert units["ia-dom"].parent_id == "ia-hdrai"
    assert units["phong-ldtbxh"].reporting


async def test_help_lists_only_the_commands_the_user_may_use(chat: Chat) -> None:
    await chat.send("/help")
    assert "/menu — menu chính" in chat.text
    assert "/join — tham gia bằng mã mời" in chat.text
    assert "/ask — hỏi một câu" in chat.text
    assert "/report" not in chat.text
    assert "/pending" not in chat.text
    assert "/invite" not in chat.text


async def test_a_villagers_stray_photo_is_not_pointed_at_reports(chat: Chat) -> None:
    await chat.send("/menu")
    menu = [c.label for c in chat.choices]
    await chat.photo()
    assert "Cảm ơn bạn đã gửi ảnh" in chat.text
    assert "/report" not in chat.text
    assert [c.label for c in chat.choices] == menu  # the menu stays on screen
