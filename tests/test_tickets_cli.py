"""The operators' commands for questions and personal data, in a real subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import Loa
from db.models import Role, SearchMiss, Ticket, User
from tests.fixtures.reporting import joined
from tests.test_cli import loa_json, run_loa
from tests.test_tickets import ask, tickets, villager


def env_of(loa: Loa) -> dict[str, str]:
    """The CLI on the test database and media directory."""
    return {"DATABASE_URL": loa.settings.database_url, "MEDIA_DIR": str(loa.settings.media_dir)}


async def test_tickets_list_and_questions_export_tell_nothing_about_the_person(
    loa: Loa, tmp_path: Path
) -> None:
    officer = await joined(loa, "officer-toi", Role.officer, "ia-toi")
    chat = await villager(loa, "v", "ia-toi", name="Y Blong")
    for question in ("mang wifi o thon khi nao co", "Mạng wifi ở thôn khi nào có?"):
        await chat.send(question)  # search is not sure about either
    await chat.send("lich xe buyt len huyen")
    await ask(chat, "Khi nào kéo điện về thôn?")
    await ask(chat, "Xin hỏi về vay vốn", anonymous=True)
    first, second = (ticket.id for ticket in await tickets(loa))
    await officer.send(f"/answer {first} Tháng 12 năm nay.")

    rows = loa_json("tickets", "list", "--json", env=env_of(loa))
    assert [set(row) for row in rows] == [
        {"id", "status", "text", "unit", "language", "created_at", "answered_at"}
    ] * 2
    assert [(r["id"], r["status"], r["unit"], r["language"]) for r in rows] == [
        (first, "answered", "ia-toi", "vi"),
        (second, "open", "ia-toi", "vi"),
    ]
    assert rows[0]["answered_at"] is not None and rows[1]["answered_at"] is None
    only_open = json.loads(
        run_loa(*["tickets", "list", "--status", "open", "--json"], env=env_of(loa)).stdout
    )
    assert [row["id"] for row in only_open] == [second]
    wrong = run_loa(*["tickets", "list", "--status", "lost"], env=env_of(loa))
    assert wrong.returncode == 2 and "open|answered|closed" in wrong.stderr

    book_path = tmp_path / "questions.xlsx"
    exported = run_loa("questions", "export", "--out", str(book_path), env=env_of(loa))
    assert exported.returncode == 0, exported.stderr
    book = load_workbook(book_path)
    unanswered = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    counts = {row[0]: row[1] for row in unanswered}
    assert counts["mang wifi o thon khi nao co"] == 2  # grouped with the accented one
    assert "Mạng wifi ở thôn khi nào có?" in str(unanswered[0][2])
    assert unanswered[0][3] == "Xã Ia Tơi (2)" and unanswered[0][4] == "vi (2)"
    assert counts["lich xe buyt len huyen"] == 1
    answers = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[1], row[3], row[4]) for row in answers] == [
        (first, "Xã Ia Tơi", "Khi nào kéo điện về thôn?", "Tháng 12 năm nay.")
    ]
    cells = " ".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    )
    assert "Y Blong" not in cells and "officer" not in cells


async def test_privacy_export_and_forget_by_user_id(loa: Loa, tmp_path: Path) -> None:
    await joined(loa, "officer-toi", Role.officer, "ia-toi")
    chat = await villager(loa, "v", "ia-toi", name="Y Blong")
    await ask(chat, "Hộ tôi có được vay vốn không?")
    await chat.send("con meo nha hang xom bi lac")
    listed = run_loa("users", "list", "--json", env=env_of(loa))
    assert listed.returncode == 0, listed.stderr
    (person,) = [row for row in json.loads(listed.stdout) if row["name"] == "Y Blong"]
    user_id = person["user_id"]

    out = tmp_path / "y-blong.json"
    exported = run_loa("privacy", "export", str(user_id), "--out", str(out), env=env_of(loa))
    assert exported.returncode == 0, exported.stderr
    copy = json.loads(out.read_text(encoding="utf-8"))
    assert copy["profile"]["name"] == "Y Blong"
    assert copy["questions_to_officers"][0]["text"] == "Hộ tôi có được vay vốn không?"

    forgotten = run_loa("privacy", "forget", str(user_id), env=env_of(loa))
    assert forgotten.returncode == 0, forgotten.stderr
    assert "1 questions" in forgotten.stdout
    async with loa.db.session() as session:
        assert await session.get(User, user_id) is None
        assert list((await session.execute(select(Ticket))).scalars()) == []
        assert list((await session.execute(select(SearchMiss))).scalars()) == []
    again = run_loa("privacy", "export", str(user_id), "--out", str(out), env=env_of(loa))
    assert again.returncode == 1 and "loa users list" in again.stderr
