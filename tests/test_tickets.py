"""Questions to a person through the engine: the commune, routing, answers, reminders, limits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.app import Loa
from bot.core.chat import AttachmentKind, Incoming, Kind, Reply, to_plain
from bot.core.clock import FrozenClock
from bot.tickets.reminders import TicketPlanner
from db.models import OutboxMessage, OutboxState, Role, SearchMiss, Ticket, TicketEvent, User
from tests.fixtures.reporting import joined, jpeg, ref
from tests.helpers import Chat, fresh_update_id, outbox_replies


async def villager(loa: Loa, user: str, commune: str | None, name: str = "") -> Chat:
    """A villager who chose Vietnamese and `commune` (None: skipped the question)."""
    chat = Chat(loa.engine, user=user)
    await chat.send("/start")
    await chat.then("[Tiếng Việt]", "Dữ liệu của bạn")
    await chat.press("Xã Ia Tơi" if commune == "ia-toi" else "Bỏ qua")
    if name:
        async with loa.db.session() as session:
            await session.execute(
                update(User)
                .where(User.channel == "test", User.external_id == user)
                .values(display_name=name)
            )
    return chat


async def ask(chat: Chat, question: str, *, anonymous: bool = False) -> None:
    """Send a question from the main menu."""
    await chat.send("/menu")
    await chat.press("Gửi câu hỏi cho cán bộ")
    await chat.press("Gửi không kèm tên" if anonymous else "Gửi kèm tên tôi")
    await chat.send(question)
    assert "đã được gửi đến" in chat.text, chat.text


async def at_the_question(loa: Loa) -> Chat:
    """A villager of Ia Tơi (which has an officer) asked to type the question, with their name."""
    await joined(loa, "officer-toi", Role.officer, "ia-toi")
    chat = await villager(loa, "v", "ia-toi")
    await chat.send("/question")
    await chat.press("Gửi kèm tên tôi")
    return chat


async def tickets(loa: Loa) -> list[Ticket]:
    """Every ticket, oldest first."""
    async with loa.db.session() as session:
        return list((await session.execute(select(Ticket).order_by(Ticket.id))).scalars())


async def inbox(loa: Loa, user: str) -> list[str]:
    """The plain text of every message queued for a test user."""
    return [
        "\n".join(to_plain(reply.text) for reply in message)
        for message in await outbox_replies(loa.engine, "test", user)
    ]


async def press_queued(chat: Chat, label: str) -> list[Reply]:
    """Press a button of the last queued (proactive) message the user received."""
    messages = await outbox_replies(chat.engine, chat.channel, chat.user)
    for reply in reversed(messages[-1]):
        for option in reply.choices:
            if label in option.label:
                event = Incoming(
                    chat.channel, chat.user, fresh_update_id(), Kind.choice, choice=option.payload
                )
                return await chat.deliver(event)
    raise AssertionError(f"no button {label!r} in the last queued message")


async def test_the_first_language_choice_shows_the_privacy_notice_and_asks_the_commune(
    loa: Loa,
) -> None:
    chat = Chat(loa.engine, user="v")
    await chat.send("/start")
    await chat.then("[Tiếng Việt]", "Bạn đã chọn Tiếng Việt")
    assert "/mydata" in chat.text and "/forgetme" in chat.text
    assert [c.label for c in chat.choices] == ["Xã Ia Tơi", "Xã Ia Đal", "Xã Ia Dom", "Bỏ qua"]
    await chat.send(chat.number("Xã Ia Đal"))
    assert "Đã lưu: bạn ở Xã Ia Đal" in chat.text
    assert chat.choice("Gửi câu hỏi cho cán bộ")
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    assert "Dữ liệu của bạn" not in chat.text  # once only
    assert "Menu chính" in chat.text
    await chat.then("/commune", "Xã của bạn hiện nay: Xã Ia Đal")
    await chat.press("Bỏ qua")
    await chat.send("/commune")
    assert "Xã Ia Đal" in chat.text  # skipping changed nothing
    await chat.press("Xã Ia Tơi")
    async with loa.db.session() as session:
        user = (await session.execute(select(User).where(User.external_id == "v"))).scalar_one()
    assert user.unit_id == "ia-toi"
    assert user.privacy_notice_at is not None


async def test_officers_cannot_move_their_unit_with_commune(loa: Loa) -> None:
    officer = await joined(loa, "officer", Role.officer, "ia-dal")
    await officer.then("/commune", "chỉ dành cho")


async def test_a_question_reaches_its_communes_officer_and_the_answer_comes_back(
    loa: Loa,
) -> None:
    toi = await joined(loa, "officer-toi", Role.officer, "ia-toi")
    dal = await joined(loa, "officer-dal", Role.officer, "ia-dal")
    await joined(loa, "admin", Role.admin, "ia-hdrai")
    chat = await villager(loa, "v", "ia-toi", name="Y Blong")
    await ask(chat, "Nhà tôi *bị* bỏ sót hỗ trợ làm nhà?")
    assert "cán bộ Xã Ia Tơi" in chat.text
    assert "trong 3 ngày" in chat.text and "sau 72 giờ" in chat.text
    (ticket,) = await tickets(loa)
    assert (ticket.status, ticket.unit_id, ticket.anonymous) == ("open", "ia-toi", False)
    notice = (await inbox(loa, "officer-toi"))[-1]
    assert f"Câu hỏi số {ticket.id}" in notice and "Người hỏi: Y Blong" in notice
    assert "“Nhà tôi *bị* bỏ sót hỗ trợ làm nhà?”" in notice  # escaped, so shown as typed
    assert f"/answer {ticket.id}" in notice
    assert await inbox(loa, "officer-dal") == []
    assert await inbox(loa, "admin") == []

    await dal.send(f"/answer {ticket.id} Không biết")
    assert "không thuộc các câu hỏi bạn trả lời" in dal.text
    await chat.send(f"/answer {ticket.id} tự trả lời")
    assert "chỉ dành cho" in chat.text

    await toi.send("/tickets")
    assert f"#{ticket.id} · Xã Ia Tơi" in toi.text
    await toi.press(f"Trả lời câu hỏi số {ticket.id}")
    assert "Gõ câu trả lời" in toi.text
    await toi.then("Gia đình được xét lại trong *tháng 12*.", "đã được gửi cho người dân")
    answer = (await inbox(loa, "v"))[-1]
    assert f"Trả lời câu hỏi số {ticket.id} của bạn" in answer
    assert "Bạn hỏi: “Nhà tôi *bị* bỏ sót hỗ trợ làm nhà?”" in answer
    assert "Gia đình được xét lại trong *tháng 12*." in answer
    await toi.send(f"/answer {ticket.id} lần nữa")
    assert "đã ở trạng thái “đã trả lời”" in toi.text and "Không có gì thay đổi" in toi.text

    await press_queued(chat, "Đã trả lời đúng")
    assert f"Câu hỏi số {ticket.id} đã đóng" in chat.text
    (ticket,) = await tickets(loa)
    async with loa.db.session() as session:
        events = (await session.execute(select(TicketEvent).order_by(TicketEvent.id))).scalars()
        trail = [(e.from_status, e.to_status, e.actor_id) for e in events]
        ids = {u.external_id: u.id for u in (await session.execute(select(User))).scalars().all()}
    assert ticket.status == "closed"
    assert ticket.answered_by == ids["officer-toi"] and ticket.closed_by == ids["v"]
    assert trail == [
        (None, "open", ids["v"]),
        ("open", "answered", ids["officer-toi"]),
        ("answered", "closed", ids["v"]),
    ]


async def test_an_anonymous_question_never_shows_the_name(loa: Loa) -> None:
    await joined(loa, "officer-toi", Role.officer, "ia-toi")
    chat = await villager(loa, "v", "ia-toi", name="Y Blong")
    await ask(chat, "Tôi muốn hỏi về vay vốn", anonymous=True)
    assert "Cán bộ sẽ không thấy tên bạn" in chat.text
    notice = (await inbox(loa, "officer-toi"))[-1]
    assert "Y Blong" not in notice
    assert "người dân không muốn nêu tên" in notice


async def test_without_a_commune_the_question_goes_to_the_admins(loa: Loa) -> None:
    await joined(loa, "officer-toi", Role.officer, "ia-toi")
    await joined(loa, "admin", Role.admin, "ia-hdrai")
    chat = await villager(loa, "v", None)
    await chat.send("/question")
    assert "/commune" in chat.text and "người quản trị" in chat.text
    await chat.press("Gửi kèm tên tôi")
    await chat.send("Khi nào có điện về thôn?")
    (ticket,) = await tickets(loa)
    assert ticket.unit_id is None
    assert await inbox(loa, "officer-toi") == []
    assert "Khi nào có điện về thôn?" in (await inbox(loa, "admin"))[-1]


async def test_with_nobody_registered_the_villager_is_told_so(loa: Loa) -> None:
    chat = await villager(loa, "v", "ia-toi")
    await chat.then("/question", "chưa có cán bộ hay người quản trị nào")
    assert await tickets(loa) == []


async def test_a_question_search_missed_is_recorded_and_can_go_to_an_officer(loa: Loa) -> None:
    await joined(loa, "officer-toi", Role.officer, "ia-toi")
    chat = await villager(loa, "v", "ia-toi")
    question = "con meo nha hang xom bi lac"
    await chat.send(question)
    assert "câu hỏi được gửi đến cán bộ" in chat.text
    await chat.press("Hỏi cán bộ")
    assert f"Câu hỏi của bạn: “{question}”" in chat.text
    await chat.press("Gửi không kèm tên")
    (ticket,) = await tickets(loa)
    assert (ticket.text, ticket.anonymous) == (question, True)
    async with loa.db.session() as session:
        (miss,) = (await session.execute(select(SearchMiss))).scalars()
    assert (miss.text, miss.unit_id, miss.language) == (question, "ia-toi", "vi")


async def test_a_photo_question_reaches_the_officer_with_the_photo(
    loa: Loa, tmp_path: Path
) -> None:
    chat = await at_the_question(loa)
    picture = jpeg(tmp_path / "duong.jpg")
    await chat.event(Kind.photo, text="Đường vào thôn bị sạt", media=(ref(picture),))
    assert "đã được gửi đến" in chat.text
    (ticket,) = await tickets(loa)
    assert ticket.media_kind == "photo" and ticket.text == "Đường vào thôn bị sạt"
    (message,) = await outbox_replies(loa.engine, "test", "officer-toi")
    attachment = message[0].attachment
    assert attachment is not None and attachment.kind is AttachmentKind.photo
    assert attachment.path.read_bytes() == picture.read_bytes()
    assert message[-1].choices[0].label == "✍ Trả lời"


async def test_questions_are_limited_per_person_and_day(loa: Loa, clock: FrozenClock) -> None:
    await joined(loa, "officer-toi", Role.officer, "ia-toi")
    chat = await villager(loa, "v", "ia-toi")
    for n in range(loa.settings.tickets_per_day):
        await ask(chat, f"Câu hỏi thứ {n + 1}")
    await chat.then("/question", "Trong 24 giờ qua bạn đã gửi 5 câu hỏi")
    clock.advance(timedelta(hours=25))
    await ask(chat, "Hôm nay hỏi tiếp")
    assert len(await tickets(loa)) == 6


async def test_an_unanswered_question_reminds_its_officers_then_goes_to_the_admins(
    loa: Loa, clock: FrozenClock
) -> None:
    toi = await joined(loa, "officer-toi", Role.officer, "ia-toi")
    await joined(loa, "admin", Role.admin, "ia-hdrai")
    chat = await villager(loa, "v", "ia-toi")
    await ask(chat, "Bao giờ có nước sạch?")
    (ticket,) = await tickets(loa)
    services = loa.services
    planner = TicketPlanner(loa.db, loa.settings, services.catalogs, services.org, clock)
    start = clock.now()
    clock.set(start + timedelta(hours=71))
    assert await planner.run() == []
    clock.set(start + timedelta(hours=72))
    (reminder,) = await planner.run()
    assert (reminder.kind, reminder.ticket_id) == ("remind", ticket.id)
    assert await planner.run() == []  # planned once
    assert "đã chờ trả lời 72 giờ" in (await inbox(loa, "officer-toi"))[-1]
    assert await inbox(loa, "admin") == []
    clock.set(start + timedelta(hours=144))
    (escalation,) = await planner.run()
    assert escalation.kind == "escalate"
    assert "144 giờ chưa có cán bộ nào trả lời" in (await inbox(loa, "admin"))[-1]
    clock.set(start + timedelta(hours=145))
    await toi.send(f"/answer {ticket.id} Tháng sau có nước.")
    async with loa.db.session() as session:
        rows = list((await session.execute(select(OutboxMessage))).scalars())
    prefix = f"tk:{ticket.id}:"
    waiting = [r for r in rows if r.dedupe_key.startswith(prefix) and "answer" not in r.dedupe_key]
    assert {r.state for r in waiting} == {OutboxState.cancelled.value}  # withdrawn: answered
    clock.set(start + timedelta(hours=300))
    assert await planner.run() == []


async def test_a_late_night_plan_waits_for_the_morning(loa: Loa, clock: FrozenClock) -> None:
    await joined(loa, "officer-toi", Role.officer, "ia-toi")
    chat = await villager(loa, "v", "ia-toi")
    await ask(chat, "Bao giờ có nước sạch?")
    services = loa.services
    planner = TicketPlanner(loa.db, loa.settings, services.catalogs, services.org, clock)
    clock.set(clock.now() + timedelta(hours=72 + 13))  # 22:00 in Vietnam
    assert await planner.run() == []
    clock.set(clock.now() + timedelta(hours=10))  # 08:00
    assert len(await planner.run()) == 1
