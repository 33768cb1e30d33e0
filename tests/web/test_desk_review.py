"""The review queue over HTTP: its filters, and decisions with chat's checks and chat's words."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.core.chat import Incoming, Kind, choice
from bot.scheduler import forget_old_updates
from db.models import DeskLink, DeskSession, Report, ReportStatus, Role
from tests.helpers import fresh_update_id
from tests.web.desk import DeskClient, DeskSite, hidden_fields


async def test_the_queue_filters_by_unit_status_activity_and_date(
    desk: DeskSite, tmp_path: Path
) -> None:
    toi = await desk.report(await desk.person(Role.reporter, "ia-toi"), tmp_path, "toi")
    dal = await desk.report(await desk.person(Role.reporter, "ia-dal"), tmp_path, "dal")
    admin = await desk.person(Role.admin)

    async def shown(client: DeskClient, query: str) -> set[int]:
        status, page = await client.get("/desk/review" + query)
        assert status == 200, query
        return {number for number in (toi, dal) if f"Báo cáo #{number}</a>" in page}

    async with desk.client(admin) as client:
        assert await shown(client, "") == {toi, dal}  # admins see every unit
        assert await shown(client, "?unit=ia-dal") == {dal}
        assert await shown(client, "?unit=nowhere") == {toi, dal}  # unknown: no filter
        assert await shown(client, "?activity=door_to_door") == {toi, dal}
        assert await shown(client, "?activity=conference") == set()
        assert await shown(client, "?from=2026-11-25&to=2026-11-25") == {toi, dal}
        assert await shown(client, "?from=2026-11-26") == set()
        assert await shown(client, "?to=2026-11-24") == set()
        assert await shown(client, "?status=approved") == set()
        data = {"csrf": client.csrf, "action": "approve", "round": "1"}
        assert (await client.post(f"/desk/review/{toi}", data))[0] == 303
        assert await shown(client, "?status=approved") == {toi}
        assert await shown(client, "") == {dal}  # waiting for review, the default
        assert await shown(client, "?status=any") == {toi, dal}
        _status, page = await client.get("/desk/review?status=any&unit=ia-toi")
        assert "Số báo cáo tìm thấy: 1" in page and "đã duyệt" in page


async def test_asking_for_more_uses_chats_checks_and_words(desk: DeskSite, tmp_path: Path) -> None:
    reporter = await desk.person(Role.reporter, "ia-toi")
    number = await desk.report(reporter, tmp_path)
    officer = await desk.person(Role.officer, "ia-toi")
    path = f"/desk/review/{number}"
    async with desk.client(officer) as client:
        ask = {"csrf": client.csrf, "action": "ask", "round": "1"}
        status, _, page = await client.post(path, ask | {"note": "?"})
        assert status == 409 and "Hãy gõ vài chữ để người báo cáo hiểu" in page
        status, _, page = await client.post(path, ask | {"note": "x" * 1001, "round": "1"})
        assert status == 409 and "1000" in page
        status, _, page = await client.post(path, ask | {"action": "maybe", "note": "hỏi"})
        assert status == 409 and "biểu mẫu này đã cũ" in page
        question = "Có bao nhiêu hộ được thăm?"
        status, location, _ = await client.post(path, ask | {"note": question})
        assert (status, location) == (303, f"{path}?done=ask")
        status, page = await client.get(location)
        assert "Đã gửi câu hỏi cho người báo cáo" in page
        assert question in page  # the audit trail shows it
        # The same form again: the report is no longer waiting, and nothing changes.
        status, _, page = await client.post(path, ask | {"note": question})
        assert status == 409 and "Không có gì thay đổi" in page
    asked = await desk.wait_message(reporter, question)
    assert f"báo cáo #{number}" in asked

    # The reporter answers in chat: a decision made on what the officer saw before is refused.
    answer = choice("rp", "more", number, label="").payload  # the button of the question
    chat = reporter.chat
    await chat.deliver(
        Incoming(chat.channel, chat.user, fresh_update_id(), Kind.choice, choice=answer)
    )
    await chat.send("Có 12 hộ.")
    await chat.send("xong")
    assert f"Câu trả lời đã được gửi kèm báo cáo #{number}" in chat.text
    async with desk.client(officer) as client:
        stale = {"csrf": client.csrf, "action": "approve", "round": "1"}
        status, _, page = await client.post(path, stale)
        assert status == 409 and "Người báo cáo đã trả lời sau khi bạn xem" in page
        assert "Có 12 hộ." in page
        fresh = hidden_fields(page)
        assert fresh["round"] == "2"
        assert (await client.post(path, stale | {"round": "2"}))[0] == 303
    async with desk.loa.db.session() as session:
        report = await session.get(Report, number)
        assert report is not None and report.status == ReportStatus.approved.value


async def test_expired_sessions_and_links_are_swept(desk: DeskSite) -> None:
    officer = await desk.person(Role.officer, "ia-toi")
    async with desk.client(officer) as client:
        assert (await client.get("/desk/"))[0] == 200
    await desk.link_for(officer)  # never used
    desk.clock.advance(timedelta(hours=13))
    await forget_old_updates(desk.loa)
    async with desk.loa.db.session() as session:
        for table in (DeskSession, DeskLink):
            left = await session.scalar(select(func.count()).select_from(table))
            assert left == 0, table
