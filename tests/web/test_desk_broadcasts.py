"""Announcements and polls from the desk over HTTP: the audience an author may address, the
preview with its count, the sending (received on Telegram), a poll's results as a chart."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import select

from bot.core.chat import Incoming, Kind, choice
from db.models import Broadcast, Role, User
from db.repositories import Repos
from tests.helpers import fresh_update_id
from tests.web.desk import DeskClient, DeskSite, Person


async def villager_of(desk: DeskSite, commune: str) -> Person:
    """A villager who chose Vietnamese and `commune`."""
    person = await desk.person(Role.villager)
    await person.chat.press(commune)
    return person


def form(text: str, audience: str, action: str, csrf: str, **more: str) -> dict[str, str]:
    """The compose form as the browser sends it."""
    return {"text_vi": text, "audience": audience, "send": "now", "action": action} | {
        "csrf": csrf,
        **more,
    }


async def progress(client: DeskClient, broadcast_id: int, sent: int) -> dict[str, Any]:
    """The figures the progress page's script reads, until `sent` copies went out."""
    figures: dict[str, Any] = {}
    for _attempt in range(200):
        async with client.session.get(f"/desk/broadcasts/{broadcast_id}/progress") as response:
            assert response.status == 200
            figures = await response.json()
        if figures["sent"] >= sent:
            return figures
        await asyncio.sleep(0.05)
    raise AssertionError(f"{sent} copies were never sent: {figures}")


async def test_an_officer_sends_to_their_commune_after_the_preview(desk: DeskSite) -> None:
    officer = await desk.person(Role.officer, "ia-toi")
    reader = await villager_of(desk, "Xã Ia Tơi")
    stopped = await villager_of(desk, "Xã Ia Tơi")
    await stopped.chat.send("/stop")
    await stopped.chat.press("Có, ngừng nhận")
    elsewhere = await villager_of(desk, "Xã Ia Đal")
    text = "Thứ Bảy này họp thôn về phòng chống tảo hôn, 8 giờ tại nhà văn hóa."

    async with desk.client(officer) as client:
        status, page = await client.get("/desk/broadcasts/new")
        assert status == 200
        # An officer addresses their own commune only (as in chat).
        assert 'value="unit:ia-toi"' in page and 'value="unit:ia-dal"' not in page
        # The form's script asks for the count as soon as an audience is chosen.
        async with client.session.get("/desk/broadcasts/audience?audience=unit:ia-toi") as got:
            counted = (await got.json())["text"]
        assert counted.startswith("Gửi đến 2 người. Bỏ qua: 1 người đã xin không nhận")
        async with client.session.get("/desk/broadcasts/audience?audience=unit:ia-dal") as got:
            assert got.status == 404
        status, _location, page = await client.post(
            "/desk/broadcasts/new", form(text, "unit:ia-toi", "preview", client.csrf)
        )
        assert status == 200
        assert "Xem trước (bản tiếng Việt)" in page and text in page
        assert counted in page  # the villager and the officer; not the one who stopped
        status, location, _page = await client.post(
            "/desk/broadcasts/new", form(text, "unit:ia-toi", "send", client.csrf)
        )
        assert status == 303
        number = int(re.fullmatch(r"/desk/broadcasts/(\d+)\?sent=1", location).group(1))  # type: ignore[union-attr]
        status, page = await client.get(location)
        assert f"✅ Thông báo #{number} đang được gửi đến 2 người." in page

        received = await desk.wait_message(reader, text)
        assert "Thông báo" in received and "/stop" in received
        figures = await progress(client, number, sent=2)
        assert (figures["pending"], figures["skipped_opted_out"]) == (0, 1)
        assert "đã gửi: 2 · đang chờ: 0" in figures["text"]
        status, page = await client.get(f"/desk/broadcasts/{number}")
        assert figures["text"] in page and 'data-pending="0"' in page
        status, page = await client.get("/desk/broadcasts")
        assert f'href="/desk/broadcasts/{number}"' in page
    assert not any(text in message for message in desk.messages_to(stopped))
    assert not any(text in message for message in desk.messages_to(elsewhere))


async def test_a_poll_shows_its_results_as_a_chart(desk: DeskSite) -> None:
    admin = await desk.person(Role.admin)
    first = await villager_of(desk, "Xã Ia Tơi")
    second = await villager_of(desk, "Xã Ia Đal")
    question = "Buổi họp nên vào giờ nào?"
    fields = {"kind": "poll", "option_1": "Buổi sáng", "option_2": "Buổi tối", "closes": "3"}
    async with desk.client(admin) as client:
        await client.get("/desk/broadcasts/new?kind=poll")
        status, _location, _page = await client.post(
            "/desk/broadcasts/new", form(question, "all", "send", client.csrf, **fields)
        )
        assert status == 303
        async with desk.loa.db.session() as session:
            poll = (await session.execute(select(Broadcast))).scalar_one()
        for person, option in ((first, 2), (second, 2)):
            await desk.wait_message(person, question)
            pressed = choice("pa", poll.id, option, label="")
            event = Incoming(
                "telegram",
                str(person.telegram_id),
                fresh_update_id(),
                Kind.choice,
                choice=pressed.payload,
            )
            await person.chat.deliver(event)
        status, page = await client.get(f"/desk/broadcasts/{poll.id}")
    assert status == 200
    assert "Khảo sát số" in page and "Số người trả lời: 2" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="poll-chart"' in page
    assert f'<title id="poll-chart-title">Kết quả khảo sát: {question}</title>' in page
    assert "Buổi sáng: 0 (0%); Buổi tối: 2 (100%)" in page  # what a screen reader reads
    # Another officer sees neither the poll nor its figures.
    other = await desk.person(Role.officer, "ia-toi")
    async with desk.client(other) as client:
        assert (await client.get(f"/desk/broadcasts/{poll.id}"))[0] == 404
        assert (await client.get_bytes(f"/desk/broadcasts/{poll.id}/progress"))[0] == 404


async def test_compose_refuses_what_chat_refuses(desk: DeskSite) -> None:
    officer = await desk.person(Role.officer, "ia-toi")
    unlinked = await desk.person(Role.admin)
    unlinked_id = await _user_id(desk, unlinked)
    async with desk.loa.db.session() as session:  # an officer whose unit was taken away
        row = await session.get(User, unlinked_id)
        assert row is not None
        row.role, row.unit_id = Role.officer.value, None
    async with desk.client(officer) as client:
        await client.get("/desk/broadcasts/new")
        # Another commune, a poll with one answer, no text: refused with the reason.
        status, _location, page = await client.post(
            "/desk/broadcasts/new", form("Họp thôn", "unit:ia-dal", "send", client.csrf)
        )
        assert status == 422 and "Hãy chọn người nhận." in page
        poll = {"kind": "poll", "option_1": "Có", "closes": "1"}
        status, _location, page = await client.post(
            "/desk/broadcasts/new", form("Đi họp không?", "all", "send", client.csrf, **poll)
        )
        assert status == 422 and "Một khảo sát cần từ 2 đến 6 phương án trả lời." in page
        late = poll | {"option_2": "Không", "send": "at", "send_at": "2026-12-01T08:00"}
        status, _location, page = await client.post(
            "/desk/broadcasts/new", form("Đi họp không?", "all", "send", client.csrf) | late
        )
        assert status == 422 and "Khảo sát phải kết thúc sau khi được gửi đi." in page
        status, _location, page = await client.post(
            "/desk/broadcasts/new", form("  ", "all", "send", client.csrf)
        )
        assert status == 422 and "Hãy gõ nội dung." in page
        status, _location, _page = await client.post(
            "/desk/broadcasts/new", form("Họp thôn", "all", "send", "")
        )
        assert status == 403
    async with desk.loa.db.session() as session:
        assert (await session.execute(select(Broadcast))).first() is None
    # An officer bound to no unit cannot send (as in chat).
    async with desk.client(unlinked) as client:
        status, page = await client.get("/desk/broadcasts/new")
        assert status == 403 and "chưa gắn với đơn vị nào" in page


async def _user_id(desk: DeskSite, person: Person) -> int:
    async with desk.loa.db.session() as session:
        user = await Repos.of(session).users.find("telegram", str(person.telegram_id))
        assert user is not None
        return user.id
