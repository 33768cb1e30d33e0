"""Questions to a person, and a person's data, over the real Telegram and Zalo adapters."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp
from sqlalchemy import func, select

from bot.app import Loa
from bot.core.clock import FrozenClock
from db.base import Base
from db.models import Conversation, OutboxMessage, Role, SearchMiss, Ticket, TicketStatus, User
from tests.channels.telegram import polling as telegram_polling
from tests.channels.zalo import polling as zalo_polling
from tests.channels.zalo import webhook as zalo_webhook
from tests.fakes.runtime import eventually, running
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo

VILLAGER, OFFICER_TOI, OFFICER_DAL, ADMIN = 5550101, 5550102, 5550103, 5550104
ZALO_VILLAGER, ZALO_OFFICER = "a1b2c3d4e5f6a7b8c9d0", "0f1e2d3c4b5a69788796"


async def staff(loa: Loa, channel: str, external_id: str, role: Role, unit: str) -> None:
    """An officer or admin as an invite would have made them, Vietnamese chosen."""
    now = loa.services.clock.now()
    async with loa.db.session() as session:
        user = User(
            channel=channel,
            external_id=external_id,
            display_name=f"Cán bộ {external_id[-3:]}",
            language="vi",
            role=role.value,
            unit_id=unit,
            created_at=now,
            last_seen_at=now,
            privacy_notice_at=now,
        )
        session.add(user)


async def stored_tickets(loa: Loa) -> list[Ticket]:
    """Every ticket, oldest first."""
    async with loa.db.session() as session:
        return list((await session.execute(select(Ticket).order_by(Ticket.id))).scalars())


async def walk(fake: FakeTelegram | FakeZalo, user: int | str, first: int, *steps: str) -> None:
    """Answer step by step as the user would: "[label]" presses that button on Telegram or types
    its number on Zalo; anything else is typed. Each answer is waited for, the first as message
    number `first` to the user, the next as `first` + 1, and so on."""
    for count, step in enumerate(steps, first):
        label = step[1:-1] if step.startswith("[") and step.endswith("]") else None
        if isinstance(fake, FakeTelegram):
            assert isinstance(user, int)
            if label is None:
                fake.text(user, step)
            else:
                fake.press(user, fake.button(user, label))
        else:
            assert isinstance(user, str)
            fake.text(user, step if label is None else fake.number(user, label))
        await fake.wait_sent(user, count)  # type: ignore[arg-type]


async def onboard_telegram(tg: FakeTelegram, user: int, commune: str) -> None:
    """/start, Vietnamese, then the commune, as a villager presses the buttons."""
    await walk(tg, user, 1, "/start", "[Tiếng Việt]")
    assert "Dữ liệu của bạn" in tg.texts(user)[-1]
    tg.press(user, tg.button(user, commune))
    await tg.wait_sent(user, 3)
    assert "Đã lưu" in tg.texts(user)[-1]


async def test_telegram_question_routed_answered_by_reply_relayed_and_closed(
    settings: object, loa: Loa, tg: FakeTelegram
) -> None:
    await staff(loa, "telegram", str(OFFICER_TOI), Role.officer, "ia-toi")
    await staff(loa, "telegram", str(OFFICER_DAL), Role.officer, "ia-dal")
    async with running(telegram_polling(settings, tg), loa):  # type: ignore[arg-type]
        await onboard_telegram(tg, VILLAGER, "Xã Ia Tơi")
        await walk(
            tg,
            VILLAGER,
            4,
            "[Gửi câu hỏi cho cán bộ]",
            "[Gửi kèm tên tôi]",
            "Thôn tôi <chưa> có điện & nước",
        )
        (ticket,) = await stored_tickets(loa)  # numbers are the database's own
        number = ticket.id
        assert f"Câu hỏi số {number} đã được gửi đến cán bộ Xã Ia Tơi" in tg.texts(VILLAGER)[-1]

        (notice,) = await tg.wait_sent(OFFICER_TOI, 1)
        text = tg.texts(OFFICER_TOI)[0]
        assert "Người hỏi: Y Blong" in text and "“Thôn tôi <chưa> có điện & nước”" in text
        assert "trả lời (reply) tin nhắn này" in text
        assert tg.keyboard(OFFICER_TOI)[0]["callback_data"] == f"v1:tk:ans:{number}"
        assert tg.sent(OFFICER_DAL) == []

        tg.reply(OFFICER_TOI, "Tháng 12 sẽ kéo điện về thôn.", to=notice, name="Cán bộ Tơi")
        await tg.wait_sent(OFFICER_TOI, 2)
        assert "đã được gửi cho người dân" in tg.texts(OFFICER_TOI)[-1]
        await tg.wait_sent(VILLAGER, 7)
        answer = tg.texts(VILLAGER)[-1]
        assert f"Trả lời câu hỏi số {number} của bạn" in answer
        assert "Bạn hỏi: “Thôn tôi <chưa> có điện & nước”" in answer
        assert "Tháng 12 sẽ kéo điện về thôn." in answer

        tg.press(VILLAGER, tg.button(VILLAGER, "Đã trả lời đúng"))
        await tg.wait_sent(VILLAGER, 8)
        assert f"Câu hỏi số {number} đã đóng" in tg.texts(VILLAGER)[-1]
    (ticket,) = await stored_tickets(loa)
    assert ticket.status == TicketStatus.closed.value
    assert ticket.answer == "Tháng 12 sẽ kéo điện về thôn."
    assert ticket.answered_at is not None and ticket.closed_at is not None


async def test_telegram_voice_question_reaches_the_officer_as_voice(
    settings: object, loa: Loa, tg: FakeTelegram
) -> None:
    await staff(loa, "telegram", str(OFFICER_TOI), Role.officer, "ia-toi")
    recording = b"OggS\x00\x02 a villager's voice"
    async with running(telegram_polling(settings, tg), loa):  # type: ignore[arg-type]
        await onboard_telegram(tg, VILLAGER, "Xã Ia Tơi")
        await walk(tg, VILLAGER, 4, "/question", "[Gửi không kèm tên]")
        tg.voice(VILLAGER, recording)
        await tg.wait_sent(VILLAGER, 6)
        assert "Cán bộ sẽ không thấy tên bạn" in tg.texts(VILLAGER)[-1]
        sent = await tg.wait_sent(OFFICER_TOI, 2)
    assert [call.method for call in sent] == ["sendVoice", "sendMessage"]
    assert list(sent[0].files.values()) == [recording]
    assert "không muốn nêu tên" in tg.texts(OFFICER_TOI)[-1]
    assert "Y Blong" not in " ".join(tg.texts(OFFICER_TOI))


async def test_zalo_anonymous_question_answered_with_the_answer_command(
    settings: object, loa: Loa, zl: FakeZalo
) -> None:
    await staff(loa, "zalo", ZALO_OFFICER, Role.officer, "ia-dal")
    async with running(zalo_polling(settings, zl), loa):  # type: ignore[arg-type]
        await walk(
            zl,
            ZALO_VILLAGER,
            1,
            "/start",
            "[Tiếng Việt]",
            "[Xã Ia Đal]",
            "[Gửi câu hỏi cho cán bộ]",
            "[Gửi không kèm tên]",
            "Hộ nghèo được vay bao nhiêu?",
        )

        await zl.wait_sent(ZALO_OFFICER, 1)
        notice = zl.last_text(ZALO_OFFICER)
        assert "không muốn nêu tên" in notice and "Ted" not in notice
        (ticket,) = await stored_tickets(loa)
        assert f"/answer {ticket.id}" in notice and "\n1. ✍ Trả lời" in notice
        zl.text(ZALO_OFFICER, f"/answer {ticket.id} Tối đa 100 triệu đồng, hỏi NHCSXH.")
        await zl.wait_sent(ZALO_OFFICER, 2)
        await zl.wait_sent(ZALO_VILLAGER, 7)
        answer = zl.last_text(ZALO_VILLAGER)
        assert "Bạn hỏi: “Hộ nghèo được vay bao nhiêu?”" in answer
        assert "Tối đa 100 triệu đồng, hỏi NHCSXH." in answer
        zl.text(ZALO_VILLAGER, zl.number(ZALO_VILLAGER, "Đã trả lời đúng"))
        await zl.wait_sent(ZALO_VILLAGER, 8)
    (ticket,) = await stored_tickets(loa)
    assert (ticket.status, ticket.anonymous, ticket.unit_id) == ("closed", True, "ia-dal")


async def test_an_unanswered_question_reminds_then_escalates_over_telegram(
    settings: object, loa: Loa, tg: FakeTelegram, clock: FrozenClock
) -> None:
    await staff(loa, "telegram", str(OFFICER_TOI), Role.officer, "ia-toi")
    await staff(loa, "telegram", str(ADMIN), Role.admin, "ia-hdrai")
    async with running(telegram_polling(settings, tg), loa) as runtime:  # type: ignore[arg-type]
        await onboard_telegram(tg, VILLAGER, "Xã Ia Tơi")
        tg.text(VILLAGER, "/question Bao giờ làm đường vào thôn?")
        await tg.wait_sent(VILLAGER, 4)
        tg.press(VILLAGER, tg.button(VILLAGER, "Gửi kèm tên tôi"))
        await tg.wait_sent(OFFICER_TOI, 1)
        assert runtime.scheduler is not None
        start = clock.now()
        clock.set(start + timedelta(hours=72))
        await runtime.scheduler.plan()
        await tg.wait_sent(OFFICER_TOI, 2)
        (ticket,) = await stored_tickets(loa)
        assert f"Câu hỏi số {ticket.id} đã chờ trả lời 72 giờ" in tg.texts(OFFICER_TOI)[-1]
        assert tg.button(OFFICER_TOI, "Trả lời") == f"v1:tk:ans:{ticket.id}"
        assert tg.sent(ADMIN) == []
        clock.set(start + timedelta(hours=144))
        await runtime.scheduler.plan()
        await runtime.scheduler.plan()  # planning twice sends once
        await tg.wait_sent(ADMIN, 1)
        assert "144 giờ chưa có cán bộ nào trả lời" in tg.texts(ADMIN)[-1]
        tg.press(ADMIN, tg.button(ADMIN, "Trả lời"))
        await tg.wait_sent(ADMIN, 2)
        tg.text(ADMIN, "Quý 1 năm sau sẽ làm đường.")
        await tg.wait_sent(VILLAGER, 6)
        assert "Quý 1 năm sau sẽ làm đường." in tg.texts(VILLAGER)[-1]
    assert len(tg.sent(OFFICER_TOI)) == 2 and len(tg.sent(ADMIN)) == 3


async def _count(loa: Loa, table: type, **where: object) -> int:
    async with loa.db.session() as session:
        stmt = select(func.count()).select_from(table)
        for column, value in where.items():
            stmt = stmt.where(getattr(table, column) == value)
        return int(await session.scalar(stmt) or 0)


async def test_telegram_mydata_sends_a_file_and_forgetme_leaves_nothing(
    settings: object, loa: Loa, tg: FakeTelegram
) -> None:
    await staff(loa, "telegram", str(OFFICER_TOI), Role.officer, "ia-toi")
    async with running(telegram_polling(settings, tg), loa):  # type: ignore[arg-type]
        await onboard_telegram(tg, VILLAGER, "Xã Ia Tơi")
        await walk(tg, VILLAGER, 4, "con meo nha hang xom bi lac", "[Hỏi cán bộ]")
        tg.press(VILLAGER, tg.button(VILLAGER, "Gửi kèm tên tôi"))
        await tg.wait_sent(OFFICER_TOI, 1)
        tg.voice(VILLAGER, b"OggS voice for the second question")
        await walk(tg, VILLAGER, 8, "/question", "[Gửi kèm tên tôi]")
        tg.voice(VILLAGER, b"OggS voice for the second question")
        await tg.wait_sent(VILLAGER, 10)
        (first, second) = await stored_tickets(loa)
        voice_file = loa.settings.media_dir / str(second.media_path)
        assert voice_file.is_file()

        tg.text(VILLAGER, "/mydata")
        sent = await tg.wait_sent(VILLAGER, 11)
        assert sent[-1].method == "sendDocument"
        copy = json.loads(next(iter(sent[-1].files.values())))
        assert copy["profile"]["channel_user_id"] == str(VILLAGER)
        assert copy["profile"]["name"] == "Y Blong" and copy["profile"]["unit"] == "ia-toi"
        assert [q["text"] for q in copy["questions_to_officers"]] == [
            "con meo nha hang xom bi lac",
            "",
        ]
        assert (
            copy["questions_search_could_not_answer"][0]["text"] == "con meo nha hang xom bi lac"
        )

        tg.text(VILLAGER, "/forgetme")
        await tg.wait_sent(VILLAGER, 12)
        tg.text(VILLAGER, "xóa đi")  # only the buttons answer
        await tg.wait_sent(VILLAGER, 13)
        assert "Bạn hãy chọn" in tg.texts(VILLAGER)[-1]
        tg.press(VILLAGER, tg.button(VILLAGER, "Có, xóa dữ liệu"))
        await tg.wait_sent(VILLAGER, 14)
        assert "Dữ liệu của bạn đã được xóa" in tg.texts(VILLAGER)[-1]
    async with loa.db.session() as session:
        users = [u.external_id for u in (await session.execute(select(User))).scalars()]
    assert str(VILLAGER) not in users
    assert await stored_tickets(loa) == []
    assert await _count(loa, SearchMiss) == 0
    assert await _count(loa, Conversation) == 1  # the officer's
    async with loa.db.session() as session:
        keys = list((await session.execute(select(OutboxMessage.dedupe_key))).scalars())
    assert not [key for key in keys if key.startswith((f"tk:{first.id}:", f"tk:{second.id}:"))]
    assert not voice_file.exists()
    everything = await dump(loa)
    for trace in (str(VILLAGER), "Y Blong", "con meo nha hang xom bi lac", second.media_path):
        assert trace not in everything, trace


async def dump(loa: Loa) -> str:
    """Every row of every table, as one text."""
    rows = []
    async with loa.db.session() as session:
        for table in Base.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in await session.execute(table.select())]
    return "\n".join(rows)


async def test_zalo_mydata_is_an_expiring_link(
    settings: object, loa: Loa, zl: FakeZalo, clock: FrozenClock
) -> None:
    config = zalo_webhook(settings, zl)  # type: ignore[arg-type]
    served = await Loa.start(config, clock=clock)  # PUBLIC_BASE_URL known to the handlers
    async with running(config, served):
        await walk(zl, ZALO_VILLAGER, 1, "/start", "1", "/mydata")
        text = zl.last_text(ZALO_VILLAGER)
        assert "dùng được trong 24 giờ" in text
        link = text.split("giờ): ")[1].split()[0]
        assert link.startswith(f"{config.public_base_url}/files/")
        async with aiohttp.ClientSession() as client:
            async with client.get(link) as response:
                assert response.status == 200
                copy = json.loads(await response.read())
            async with client.get(link.replace("/files/", "/files/1")) as response:
                assert response.status == 404  # a changed expiry breaks the signature
    await served.close()
    assert copy["profile"]["channel"] == "zalo"
    assert copy["profile"]["channel_user_id"] == ZALO_VILLAGER


async def test_forgetting_keeps_approved_reports_anonymised(
    settings: object, loa: Loa, tg: FakeTelegram
) -> None:
    from db.models import Report, ReportStatus

    now = loa.services.clock.now()
    await staff(loa, "telegram", str(VILLAGER), Role.reporter, "ia-toi")
    async with loa.db.session() as session:
        reporter = (await session.execute(select(User))).scalar_one()
        for status in (ReportStatus.approved, ReportStatus.draft, ReportStatus.submitted):
            session.add(
                Report(
                    reporter_id=reporter.id,
                    unit_id="ia-toi",
                    status=status.value,
                    description=f"báo cáo {status.value}",
                    created_at=now,
                    updated_at=now,
                )
            )
    async with running(telegram_polling(settings, tg), loa):  # type: ignore[arg-type]
        await walk(tg, VILLAGER, 1, "/forgetme", "[Có, xóa dữ liệu]")
        assert "1 báo cáo đã duyệt được giữ lại" in tg.texts(VILLAGER)[-1]
        await eventually(lambda: _gone(loa))
    async with loa.db.session() as session:
        (report,) = (await session.execute(select(Report))).scalars()
        stub = await session.get(User, report.reporter_id)
    assert report.status == ReportStatus.approved.value
    assert stub is not None
    assert (stub.channel, stub.display_name, stub.language, stub.unit_id) == (
        "forgotten",
        "",
        None,
        None,
    )
    assert str(VILLAGER) not in stub.external_id


async def _gone(loa: Loa) -> bool:
    return await _count(loa, User, channel="telegram") == 0
