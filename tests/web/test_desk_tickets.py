"""Villagers' questions on the desk over HTTP: the officer reads them with their photo or
voice, answers, and the villager receives the answer on Telegram; others are kept out."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from bot.core.chat import Kind
from db.models import Role, Ticket, TicketStatus
from tests.audio_samples import ogg_opus
from tests.fixtures.reporting import jpeg, ref
from tests.web.desk import DeskSite, Person


async def asking(desk: DeskSite, commune: str = "Xã Ia Tơi") -> Person:
    """A villager of `commune`, at the step of typing a question, with their name."""
    villager = await desk.person(Role.villager)
    await villager.chat.press(commune)
    await villager.chat.send("/question")
    await villager.chat.press("Gửi kèm tên tôi")
    return villager


async def questions(desk: DeskSite) -> list[Ticket]:
    """Every question, oldest first."""
    async with desk.loa.db.session() as session:
        return list((await session.execute(select(Ticket).order_by(Ticket.id))).scalars())


async def test_an_officer_answers_on_the_desk_and_the_villager_gets_it(
    desk: DeskSite, tmp_path: Path
) -> None:
    officer = await desk.person(Role.officer, "ia-toi")
    words = await asking(desk)
    await words.chat.send("Khi nào có lớp học về hôn nhân cận huyết?")
    pictured = await asking(desk)
    picture = jpeg(tmp_path / "duong.jpg", gps=(13.9, 107.5))
    await pictured.chat.event(Kind.photo, text="Đường vào thôn bị sạt", media=(ref(picture),))
    spoken = await asking(desk)
    recording = tmp_path / "hoi.ogg"
    recording.write_bytes(ogg_opus(3))
    await spoken.chat.event(Kind.voice, media=(ref(recording, mime="audio/ogg"),))
    first, second, third = await questions(desk)
    assert (second.media_kind, third.media_kind) == ("photo", "voice")

    async with desk.client(officer) as client:
        status, page = await client.get("/desk/tickets")
        assert status == 200
        assert "Câu hỏi đang chờ bạn trả lời: 3" in page
        assert '<blockquote class="question">Khi nào có lớp học về hôn nhân cận huyết?' in page
        assert "Người hỏi: telegram" in page  # the name it was asked with
        assert f'<img src="/desk/tickets/{second.id}/media"' in page
        assert f'<audio controls preload="none" src="/desk/tickets/{third.id}/media"' in page
        # The photo comes without its EXIF (the place it was taken), the voice as recorded.
        status, kind, body = await client.get_bytes(f"/desk/tickets/{second.id}/media")
        assert (status, kind) == (200, "image/jpeg")
        assert not Image.open(io.BytesIO(body)).getexif()
        status, kind, body = await client.get_bytes(f"/desk/tickets/{third.id}/media")
        assert (status, kind, body) == (200, "audio/ogg", recording.read_bytes())

        answer = "Thứ Bảy này, 8 giờ, tại nhà văn hóa thôn 2."
        status, location, _body = await client.post(
            f"/desk/tickets/{first.id}", {"answer": answer, "csrf": client.csrf}
        )
        assert (status, location) == (303, f"/desk/tickets?done={first.id}")
        status, page = await client.get(location)
        assert f"Câu trả lời cho câu hỏi số {first.id} đã được gửi cho người dân." in page
        assert "Câu hỏi đang chờ bạn trả lời: 2" in page

    received = await desk.wait_message(words, f"Trả lời câu hỏi số {first.id} của bạn")
    assert answer in received and "(Xã Ia Tơi) trả lời" in received
    answered = (await questions(desk))[0]
    assert answered.status == TicketStatus.answered.value and answered.answer == answer


async def test_questions_stay_with_the_officers_who_answer_them(desk: DeskSite) -> None:
    toi = await desk.person(Role.officer, "ia-toi")
    dal = await desk.person(Role.officer, "ia-dal")
    villager = await asking(desk)
    await villager.chat.send("Xin hỏi về vay vốn làm nhà")
    (ticket,) = await questions(desk)

    async with desk.client(dal) as client:
        status, page = await client.get("/desk/tickets")
        assert status == 200 and "Xin hỏi về vay vốn" not in page
        status, _kind, _body = await client.get_bytes(f"/desk/tickets/{ticket.id}/media")
        assert status == 404
        status, _location, page = await client.post(
            f"/desk/tickets/{ticket.id}", {"answer": "Tôi trả lời thay.", "csrf": client.csrf}
        )
        assert status == 409
        assert f"Câu hỏi số {ticket.id} không thuộc các câu hỏi bạn trả lời." in page

    async with desk.client(toi) as client:
        await client.get("/desk/tickets")
        # Without the CSRF token, and then too short: nothing is sent.
        status, _location, _page = await client.post(
            f"/desk/tickets/{ticket.id}", {"answer": "Có thể vay ở ngân hàng chính sách."}
        )
        assert status == 403
        status, _location, page = await client.post(
            f"/desk/tickets/{ticket.id}", {"answer": "ok", "csrf": client.csrf}
        )
        assert status == 409 and "Hãy viết vài câu để người dân hiểu." in page
        assert "ok</textarea>" in page  # what was typed is kept
        answer = {"answer": "Có thể vay ở ngân hàng chính sách xã hội.", "csrf": client.csrf}
        status, _location, _page = await client.post(f"/desk/tickets/{ticket.id}", answer)
        assert status == 303
        # A second answer (another tab, a double click) changes nothing.
        status, _location, page = await client.post(f"/desk/tickets/{ticket.id}", answer)
        assert status == 409 and "Không có gì thay đổi." in page
    (ticket,) = await questions(desk)
    assert ticket.answer == "Có thể vay ở ngân hàng chính sách xã hội."

    async with desk.client() as anonymous:
        assert (await anonymous.get("/desk/tickets"))[0] == 401
        assert (await anonymous.get_bytes(f"/desk/tickets/{ticket.id}/media"))[0] == 401
