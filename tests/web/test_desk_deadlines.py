"""The desk's deadline board over HTTP: who submitted, who is late, the reminders sent; an admin
creates, changes and cancels a deadline and the officers hear of it on Telegram."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select

from bot.core.config import Settings
from bot.scheduler import planner_for
from db.models import Deadline, DeadlineUnit, OutboxMessage, OutboxState, Role
from tests.web.desk import DeskClient, DeskSite, Person

ANNUAL = "Báo cáo năm 2026"


async def submit_annual(officer: Person) -> None:
    """The officer marks the annual report as submitted in chat (/submit)."""
    chat = officer.chat
    await chat.send("/submit")
    await chat.press("Báo cáo năm")
    await chat.press("không kèm tệp")
    await chat.press("Xác nhận")
    assert "Đã ghi nhận" in chat.text, chat.text


async def sent_reminders(desk: DeskSite, count: int) -> None:
    """Wait until the outbox has sent `count` reminders (the runtime's worker sends them)."""
    for _attempt in range(200):
        async with desk.loa.db.session() as session:
            rows = (
                await session.execute(
                    select(OutboxMessage).where(
                        OutboxMessage.kind == "reminder",
                        OutboxMessage.state == OutboxState.sent.value,
                    )
                )
            ).all()
        if len(rows) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} reminders were not sent")


async def post_form(
    client: DeskClient, path: str, fields: list[tuple[str, str]], *, csrf: bool = True
) -> tuple[int, str, str]:
    """POST a form whose fields may repeat (checkboxes): status, redirect, body."""
    data = [*fields, ("csrf", client.csrf)] if csrf else fields
    async with client.session.post(path, data=data, allow_redirects=False) as response:
        body = await response.text()
        return response.status, response.headers.get("Location", ""), body


async def test_the_board_shows_submitted_late_and_reminded_units(
    desk: DeskSite, settings: Settings
) -> None:
    admin = await desk.person(Role.admin)
    toi = await desk.person(Role.officer, "ia-toi")
    dal = await desk.person(Role.officer, "ia-dal")
    await submit_annual(toi)
    # 2 December, 08:00: the week-before reminder goes to the officers who still owe it.
    desk.clock.set(datetime(2026, 12, 2, 8, 0, tzinfo=settings.tz))
    await planner_for(desk.loa, desk.clock).run()
    desk.loa.services.queued.fire()
    await desk.wait_message(dal, f"Nhắc hạn: {ANNUAL}")
    await sent_reminders(desk, 1)

    async with desk.client(admin) as client:
        status, page = await client.get("/desk/deadlines")
    assert status == 200
    assert ANNUAL in page and "Hạn nộp trước ngày 10/12/2026" in page
    assert "Đã nộp: 1/19 · chưa đến hạn: 18 · quá hạn: 0" in page
    assert "Lời nhắc đã gửi: 1" in page
    # Ia Đal's officer was reminded once; Ia Dom has nobody to remind.
    dal_row = page.split("Xã Ia Đal", 1)[1].split("</tr>", 1)[0]
    assert "chưa nộp" in dal_row and 'data-label="Lời nhắc đã gửi">1<' in dal_row
    dom_row = page.split("Xã Ia Dom", 1)[1].split("</tr>", 1)[0]
    assert "chưa có cán bộ đăng ký nên không ai được nhắc" in dom_row
    toi_row = page.split("Xã Ia Tơi", 1)[1].split("</tr>", 1)[0]
    assert "đã nộp" in toi_row and "02/12/2026" not in toi_row and "25/11/2026" in toi_row
    assert "Yêu cầu báo cáo (hạn mới)" in page  # the admin's form

    # An officer sees their own unit only, and no form to change deadlines.
    async with desk.client(dal) as client:
        status, page = await client.get("/desk/deadlines")
    assert status == 200
    assert "Đã nộp: 0/1 · chưa đến hạn: 1 · quá hạn: 0" in page
    assert "Xã Ia Tơi" not in page and "Xã Ia Dom" not in page
    assert "Yêu cầu báo cáo (hạn mới)" not in page and "/desk/deadlines/" not in page


async def _deadline(desk: DeskSite, title: str) -> tuple[Deadline, list[str]]:
    async with desk.loa.db.session() as session:
        deadline = (
            await session.execute(select(Deadline).where(Deadline.title == title))
        ).scalar_one()
        units = (
            await session.execute(
                select(DeadlineUnit.unit_id).where(DeadlineUnit.deadline_id == deadline.id)
            )
        ).scalars()
        return deadline, sorted(units)


async def test_an_admin_creates_changes_and_cancels_a_deadline(desk: DeskSite) -> None:
    admin = await desk.person(Role.admin)
    toi = await desk.person(Role.officer, "ia-toi")
    title = "Báo cáo nhanh về tảo hôn"
    async with desk.client(admin) as client:
        await client.get("/desk/deadlines")
        fields = [("title", title), ("due", "2026-12-20"), ("unit", "ia-toi"), ("unit", "ia-dal")]
        status, location, _body = await post_form(client, "/desk/deadlines", fields)
        assert status == 303
        status, page = await client.get(location)
        assert status == 200
        assert f"Đã tạo: {title}, hạn trước ngày 20/12/2026, cho 2 đơn vị." in page
        deadline, units = await _deadline(desk, title)
        assert units == ["ia-dal", "ia-toi"] and deadline.created_by is not None

        # The planner announces it to Ia Tơi's officer, as a deadline made in chat.
        await planner_for(desk.loa, desk.clock).run()
        desk.loa.services.queued.fire()
        await desk.wait_message(toi, f"Yêu cầu báo cáo mới: {title}")

        await client.get(f"/desk/deadlines/{deadline.id}")
        new_title = title + " (bổ sung số liệu)"
        status, location, _body = await post_form(
            client,
            f"/desk/deadlines/{deadline.id}",
            [("action", "edit"), ("title", new_title), ("due", "2026-12-22")],
        )
        assert status == 303
        status, page = await client.get(location)
        assert f"Đã sửa: {new_title}, hạn trước ngày 22/12/2026. Số cán bộ được báo: 1." in page
        await desk.wait_message(toi, f"Hạn báo cáo đã thay đổi: {new_title}")

        status, location, _body = await post_form(
            client, f"/desk/deadlines/{deadline.id}", [("action", "cancel")]
        )
        assert status == 303
        status, page = await client.get(location)
        assert f"Đã hủy: {new_title}" in page
        await desk.wait_message(toi, f"Hạn báo cáo đã hủy: {new_title}")
        changed, _units = await _deadline(desk, new_title)
        assert changed.cancelled_at is not None
        assert page.count(new_title) == 1  # in the line above, no longer on the board


async def test_deadline_forms_refuse_what_chat_refuses(desk: DeskSite) -> None:
    admin = await desk.person(Role.admin)
    officer = await desk.person(Role.officer, "ia-toi")
    fine = {"title": "Báo cáo gấp", "due": "2026-12-20", "unit": "ia-toi"}
    refused = [
        ({"due": "2026-11-26"}, "ít nhất hai ngày"),  # due tomorrow: no last day left
        ({"unit": ""}, "chọn ít nhất một đơn vị."),
        ({"title": "BC"}, "từ 3 đến 200 ký tự"),
    ]
    async with desk.client(admin) as client:
        await client.get("/desk/deadlines")
        for change, reason in refused:
            fields = [(k, v) for k, v in (fine | change).items() if v]
            status, _location, page = await post_form(client, "/desk/deadlines", fields)
            assert status == 422 and reason in page, reason
        # Without the CSRF token nothing is made.
        status, _location, _page = await post_form(
            client, "/desk/deadlines", list(fine.items()), csrf=False
        )
        assert status == 403
    async with desk.client(officer) as client:
        await client.get("/desk/deadlines")
        status, _location, _page = await post_form(client, "/desk/deadlines", list(fine.items()))
        assert status == 403
        async with desk.loa.db.session() as session:
            stored = (await session.execute(select(Deadline.id))).scalars().all()
        (annual,) = stored  # only the plan's own deadline, materialised by the board
        status, _page = await client.get(f"/desk/deadlines/{annual}")
        assert status == 403
        status, _location, _page = await post_form(
            client, f"/desk/deadlines/{annual}", [("action", "cancel")]
        )
        assert status == 403
    async with desk.loa.db.session() as session:
        assert (await session.get(Deadline, annual)).cancelled_at is None  # type: ignore[union-attr]
    async with desk.client() as anonymous:
        status, _page = await anonymous.get("/desk/deadlines")
        assert status == 401
