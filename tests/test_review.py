"""Officers review reports: approve, reject with a reason, ask for more; who may see what;
the reporter is told; every change is in the audit trail; operators read it all from the CLI."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Loa
from bot.cli.reports import render_report
from bot.core.chat import Incoming, Kind, Reply, to_plain
from bot.core.clock import FrozenClock
from bot.core.config import Settings
from bot.delivery.outbox import OutboxWorker
from bot.scheduler import Scheduler
from db.models import Report, ReportEvent, Role, User
from tests.fakes.runtime import both_fakes, running
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo
from tests.fixtures import reporting
from tests.fixtures.reporting import invite_codes, joined, jpeg, ref, send_photos
from tests.helpers import Chat, RecordingSender, fresh_update_id, outbox_replies
from tests.test_cli import loa_json, run_loa


async def _report(loa: Loa, report_id: int | None = None) -> Report:
    async with loa.db.session() as session:
        stmt = select(Report).order_by(Report.id.desc())
        if report_id is not None:
            stmt = select(Report).where(Report.id == report_id)
        return (await session.execute(stmt)).scalars().first()  # type: ignore[return-value]


async def _trail(loa: Loa, report_id: int) -> list[tuple[str | None, str, str, str]]:
    async with loa.db.session() as session:
        stmt = (
            select(ReportEvent, User.external_id)
            .join(User, User.id == ReportEvent.actor_id)
            .where(ReportEvent.report_id == report_id)
            .order_by(ReportEvent.id)
        )
        rows = (await session.execute(stmt)).all()
    return [(e.from_status, e.to_status, who, e.note) for e, who in rows]


async def _submit(chat: Chat, tmp_path: Path, name: str = "photo") -> None:
    """File a complete report with one photo."""
    await chat.send("/report")
    if "chưa gửi" in chat.text:
        await chat.press("Bắt đầu báo cáo mới")
    await chat.press("Tuyên truyền tại nhà")
    await chat.press(chat.choices[0].label)
    await chat.script("[Hôm nay]", "[Xong]", "12", "12", "5")
    await chat.send("Đến từng nhà phổ biến chính sách hỗ trợ nhà ở.")
    await send_photos(chat, ref(jpeg(tmp_path / f"{name}.jpg", color=(len(name) * 9, 40, 40))))
    await chat.script("xong", "[Bỏ qua]", "[Gửi báo cáo]")
    assert "Đã gửi báo cáo" in chat.text


async def ask_reporter(
    loa: Loa, officer: Chat, question: str, reporter: str = "reporter"
) -> Reply:
    """The officer asks about the last report they were sent; the question the reporter gets."""
    request = _last_message(await outbox_replies(loa.engine, "test", officer.user))
    await _press_in(officer, request, "bổ sung")
    await officer.send(question)
    return (await outbox_replies(loa.engine, "test", reporter))[-1][0]


def _is_file(path: str) -> bool:
    return Path(path).is_file()


async def submitted(loa: Loa, tmp_path: Path) -> tuple[Chat, Chat, Report]:
    """An officer of Ia Tơi, and a reporter there who has just sent a report: the three."""
    officer = await joined(loa, "officer", Role.officer, "ia-toi")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _submit(reporter, tmp_path)
    return officer, reporter, await _report(loa)


def _last_message(messages: list[list[Reply]]) -> Reply:
    return messages[-1][-1]


async def _press_in(chat: Chat, reply: Reply, label: str) -> None:
    """Press a button of a message that came through the outbox."""
    payload = next(c.payload for c in reply.choices if label.casefold() in c.label.casefold())
    await chat.deliver(
        Incoming(chat.channel, chat.user, fresh_update_id(), Kind.choice, choice=payload)
    )


async def test_an_officer_who_joins_hears_how_many_reports_wait(loa: Loa, tmp_path: Path) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _submit(reporter, tmp_path, "first")
    await _submit(reporter, tmp_path, "second")

    (code,) = await invite_codes(loa, Role.officer, "ia-toi")
    officer = Chat(loa.engine, user="new-officer")
    await officer.send(f"/join {code}")
    assert "Bạn đã là cán bộ của Xã Ia Tơi" in officer.text
    assert (
        "Đã có báo cáo chờ bạn duyệt: 2. Gửi /pending (hoặc chọn “Báo cáo chờ duyệt”) để xem."
        in officer.text
    )
    await officer.press("Báo cáo chờ duyệt")
    # (ids: PostgreSQL does not restart its sequences between tests)
    assert re.search(r"Báo cáo đang chờ bạn duyệt: 2\n#\d+ · Xã Ia Tơi", officer.text)

    (elsewhere,) = await invite_codes(loa, Role.officer, "ia-dal")
    other = Chat(loa.engine, user="ia-dal-officer")
    await other.send(f"/join {elsewhere}")
    assert "Bạn đã là cán bộ của Xã Ia Đal" in other.text
    assert "Gõ /pending để xem các báo cáo đang chờ bạn duyệt." in other.text
    assert "Đã có báo cáo chờ" not in other.text


async def test_approve_tells_the_reporter_and_a_second_officer_changes_nothing(
    loa: Loa, tmp_path: Path
) -> None:
    commune = await joined(loa, "officer-commune", Role.officer, "ia-toi")
    district = await joined(loa, "officer-district", Role.officer, "ia-hdrai")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _submit(reporter, tmp_path)
    report = await _report(loa)

    request = _last_message(await outbox_replies(loa.engine, "test", "officer-commune"))
    await _press_in(commune, request, "Duyệt")
    assert f"Đã duyệt báo cáo #{report.id}. Loa sẽ báo cho người báo cáo." in commune.text
    assert (await _report(loa, report.id)).status == "approved"
    (told,) = await outbox_replies(loa.engine, "test", "reporter")
    assert f"Tin vui: báo cáo #{report.id} (Tuyên truyền tại nhà, lưu động, 25/11/2026)" in (
        told[0].text
    )
    assert "Xã Ia Tơi" in told[0].text

    # The district officer got the same request; pressing it now changes nothing.
    same = _last_message(await outbox_replies(loa.engine, "test", "officer-district"))
    await _press_in(district, same, "Không duyệt")
    assert f"Báo cáo #{report.id} đã ở trạng thái đã duyệt" in district.text
    assert "Không có gì thay đổi" in district.text
    assert (await _report(loa, report.id)).status == "approved"
    assert await _trail(loa, report.id) == [
        ("draft", "submitted", "reporter", ""),
        ("submitted", "approved", "officer-commune", ""),
    ]
    assert len(await outbox_replies(loa.engine, "test", "reporter")) == 1


async def test_two_officers_deciding_at_once_make_one_decision(loa: Loa, tmp_path: Path) -> None:
    await joined(loa, "officer-commune", Role.officer, "ia-toi")
    await joined(loa, "officer-district", Role.officer, "ia-hdrai")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _submit(reporter, tmp_path)
    report = await _report(loa)
    presses = [
        Incoming("test", officer, fresh_update_id(), Kind.choice, choice=f"v1:rv:ok:{report.id}:1")
        for officer in ("officer-commune", "officer-district")
    ]
    answers = await asyncio.gather(*(loa.engine.handle(event) for event in presses))
    texts = sorted(answer[0].text for answer in answers)
    assert texts[0].startswith(f"Báo cáo #{report.id} đã ở trạng thái đã duyệt")
    assert texts[1].startswith(f"Đã duyệt báo cáo #{report.id}")
    approvals = [t for t in await _trail(loa, report.id) if t[1] == "approved"]
    assert len(approvals) == 1
    assert len(await outbox_replies(loa.engine, "test", "reporter")) == 1


async def test_reject_needs_a_reason_and_the_reporter_reads_it(loa: Loa, tmp_path: Path) -> None:
    officer, reporter, report = await submitted(loa, tmp_path)
    await officer.then("/pending", "Báo cáo đang chờ bạn duyệt: 1")
    assert f"#{report.id} · Xã Ia Tơi · 25/11/2026 · Tuyên truyền tại nhà, lưu động · ảnh: 1" in (
        officer.text
    )
    await officer.press(f"Xem báo cáo #{report.id}")
    assert officer.last[0].attachment is not None  # the photo comes first
    assert "Người gửi:" in officer.text
    await officer.press("Không duyệt")
    assert f"Vì sao không duyệt báo cáo #{report.id}?" in officer.text
    await officer.then("ok", "Hãy gõ vài chữ để người báo cáo hiểu.")
    assert (await _report(loa, report.id)).status == "submitted"
    await officer.then("Ảnh chụp không rõ *hoạt động*", "Loa sẽ báo lý do cho người báo cáo")
    assert (await _report(loa, report.id)).status == "rejected"
    (told,) = await outbox_replies(loa.engine, "test", "reporter")
    assert "không được" in told[0].text
    assert "Lý do: “Ảnh chụp không rõ *hoạt động*”" in to_plain(told[0].text)
    await reporter.then("/myreports", "không được duyệt")
    await reporter.press(f"Xem báo cáo #{report.id}")
    assert "không duyệt. Lý do: “Ảnh chụp không rõ *hoạt động*”" in reporter.text
    await officer.then("/pending", "Không có báo cáo nào đang chờ bạn duyệt.")


async def test_ask_for_more_information_round_trip(loa: Loa, tmp_path: Path) -> None:
    officer, reporter, report = await submitted(loa, tmp_path)
    question = await ask_reporter(loa, officer, "Có bao nhiêu hộ tham gia? Xin thêm ảnh tờ rơi.")
    assert "Đã gửi câu hỏi cho người báo cáo." in officer.text
    assert (await _report(loa, report.id)).status == "needs_info"
    await officer.then("/pending", "Báo cáo đang chờ người báo cáo trả lời: 1.")

    assert "hỏi về báo cáo #" in question.text
    assert "“Có bao nhiêu hộ tham gia? Xin thêm ảnh tờ rơi.”" in question.text
    await _press_in(reporter, question, "Trả lời cán bộ")
    assert "Cán bộ hỏi về báo cáo" in reporter.text
    assert reporter.choices == ()
    await reporter.then("xong", "Hãy gõ câu trả lời trước")
    await send_photos(reporter, ref(jpeg(tmp_path / "leaflet.jpg", color=(9, 9, 9))))
    assert "Đã lưu 1 ảnh. Báo cáo này có 2 ảnh" in reporter.text
    await reporter.send("12")  # a bare number is an answer here, not a menu pick
    assert "Đã thêm vào câu trả lời." in reporter.text
    await reporter.send("xong")
    assert f"Câu trả lời đã được gửi kèm báo cáo #{report.id}" in reporter.text
    assert (await _report(loa, report.id)).status == "submitted"

    messages = await outbox_replies(loa.engine, "test", "officer")
    assert len(messages) == 2
    again = messages[-1]
    assert len([r for r in again if r.attachment is not None]) == 2
    assert "Người báo cáo đã trả lời câu hỏi của bạn" in again[-1].text
    assert "hỏi: “Có bao nhiêu hộ tham gia? Xin thêm ảnh tờ rơi.”" in again[-1].text
    assert "trả lời: “12”" in again[-1].text
    await _press_in(officer, again[-1], "Duyệt")
    assert (await _report(loa, report.id)).status == "approved"
    assert await _trail(loa, report.id) == [
        ("draft", "submitted", "reporter", ""),
        ("submitted", "needs_info", "officer", "Có bao nhiêu hộ tham gia? Xin thêm ảnh tờ rơi."),
        ("needs_info", "submitted", "reporter", "12"),
        ("submitted", "approved", "officer", ""),
    ]


async def test_officers_see_only_their_units_and_admins_see_all(loa: Loa, tmp_path: Path) -> None:
    ia_toi = await joined(loa, "officer-ia-toi", Role.officer, "ia-toi")
    ia_dal = await joined(loa, "officer-ia-dal", Role.officer, "ia-dal")
    department = await joined(loa, "officer-ldtbxh", Role.officer, "phong-ldtbxh")
    district = await joined(loa, "officer-district", Role.officer, "ia-hdrai")
    admin = await joined(loa, "admin", Role.admin, "phong-ldtbxh")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _submit(reporter, tmp_path)
    report = await _report(loa)

    for chat, sees in (
        (ia_toi, True),
        (ia_dal, False),
        (department, False),
        (district, True),
        (admin, True),
    ):
        await chat.send("/pending")
        assert (f"#{report.id} ·" in chat.text) is sees, chat.user

    # Another commune's officer, with a forged button: refused, nothing changes.
    for action in ("ok", "no", "ask", "open"):
        forged = Incoming(
            "test",
            "officer-ia-dal",
            fresh_update_id(),
            Kind.choice,
            choice=f"v1:rv:{action}:{report.id}",
        )
        await ia_dal.deliver(forged)
        assert f"Báo cáo #{report.id} không thuộc các báo cáo bạn duyệt." in ia_dal.text
        assert ia_dal.last[0].attachment is None
    assert (await _report(loa, report.id)).status == "submitted"
    assert await outbox_replies(loa.engine, "test", "officer-ia-dal") == []

    # An admin may decide anywhere (and was not asked: the commune had officers).
    assert await outbox_replies(loa.engine, "test", "admin") == []
    await admin.press(f"Xem báo cáo #{report.id}")
    await admin.press("Duyệt")
    assert (await _report(loa, report.id)).status == "approved"


async def test_an_officer_reporting_is_reviewed_by_the_level_above(
    loa: Loa, tmp_path: Path
) -> None:
    worker = await joined(loa, "commune-officer", Role.officer, "ia-dom")
    admin = await joined(loa, "admin", Role.admin, "ia-hdrai")
    await _submit(worker, tmp_path)
    report = await _report(loa)
    # Nobody else at the commune or the district: the admins are asked.
    assert await outbox_replies(loa.engine, "test", "commune-officer") == []
    (request,) = await outbox_replies(loa.engine, "test", "admin")
    assert "Có báo cáo mới đang chờ bạn duyệt." in request[-1].text
    # Nobody reviews their own report, even with a forged button.
    await worker.then("/pending", "Không có báo cáo nào đang chờ bạn duyệt.")
    forged = Incoming(
        "test", "commune-officer", fresh_update_id(), Kind.choice, choice=f"v1:rv:ok:{report.id}"
    )
    await worker.deliver(forged)
    assert f"Báo cáo #{report.id} không thuộc các báo cáo bạn duyệt." in worker.text
    assert (await _report(loa, report.id)).status == "submitted"
    await _press_in(admin, request[-1], "Duyệt")
    assert (await _report(loa, report.id)).status == "approved"


async def test_typed_number_answers_a_review_request_after_it_was_sent(
    loa: Loa, clock: FrozenClock, tmp_path: Path
) -> None:
    officer, _reporter, report = await submitted(loa, tmp_path)
    sender = RecordingSender()
    worker = OutboxWorker(loa.db, {"test": sender}, loa.settings, clock)
    flushed = await worker.flush()
    assert flushed.sent == 1
    texts = sender.texts()
    assert any("Có báo cáo mới đang chờ bạn duyệt." in t for t in texts)
    photos = [r for _chat, r in sender.sent if r.attachment is not None]
    assert len(photos) == 1
    assert photos[0].attachment is not None
    assert photos[0].attachment.path.is_file()
    await officer.send("1")  # "1. ✅ Duyệt", as a Zalo officer answers
    assert f"Đã duyệt báo cáo #{report.id}" in officer.text


async def test_operators_list_and_show_reports(
    loa: Loa, tmp_path: Path, database_url: str
) -> None:
    officer = await joined(loa, "officer", Role.officer, "ia-toi")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    other = await joined(loa, "other-reporter", Role.reporter, "ia-dal")
    await _submit(reporter, tmp_path, "one")
    await _submit(other, tmp_path, "two")
    first = await _report(loa)
    first = await _report(loa, first.id - 1)
    request = _last_message(await outbox_replies(loa.engine, "test", "officer"))
    await _press_in(officer, request, "Duyệt")
    env = {"DATABASE_URL": database_url, "MEDIA_DIR": str(loa.settings.media_dir)}

    rows = loa_json("reports", "list", "--json", env=env)
    assert [r["unit"] for r in rows] == ["ia-dal", "ia-toi"]
    assert rows[1]["status"] == "approved"
    assert rows[1]["photos"] == 1
    assert rows[1]["activity"] == "door_to_door"
    assert (rows[1]["participants"], rows[1]["ethnic_minority"], rows[1]["women"]) == (12, 12, 5)

    by_unit = run_loa(
        "reports",
        "list",
        "--unit",
        "Ia Tơi",
        "--status",
        "approved",
        "--since",
        "2026-11-01",
        "--json",
        env=env,
    )
    assert [r["id"] for r in json.loads(by_unit.stdout)] == [first.id]
    district = run_loa(
        *["reports", "list", "--unit", "ia-hdrai", "--status", "submitted"], env=env
    )
    assert district.returncode == 0, district.stderr
    (line,) = district.stdout.splitlines()
    assert line.split()[:5] == [f"#{first.id + 1}", "đang", "chờ", "duyệt", "25/11/2026"]
    assert "ia-dal  Tuyên truyền tại nhà, lưu động  số người 12, ảnh 1" in line
    assert "door_to_door" not in line
    english = run_loa("reports", "list", "--unit", "ia-dal", env={**env, "LANGUAGE": "en"})
    assert "waiting for review" in english.stdout and "Door-to-door" in english.stdout
    data = loa_json("reports", "show", str(first.id), "--json", env=env)
    assert data["description"] == "Đến từng nhà phổ biến chính sách hỗ trợ nhà ở."
    assert [(e["from"], e["to"]) for e in data["events"]] == [
        ("draft", "submitted"),
        ("submitted", "approved"),
    ]
    (photo,) = data["media"]
    assert _is_file(photo["path"])
    assert _is_file(photo["thumbnail"])
    assert photo["duplicate"] is False
    text = render_report(data)  # the same data as `loa reports show` prints without --json
    assert f"Report #{first.id} — approved" in text
    assert "submitted → approved" in text
    missing = run_loa("reports", "show", "9999", env=env)
    assert missing.returncode == 1
    assert "no report #9999" in missing.stderr
    bad = run_loa(*["reports", "list", "--status", "lost", "--since", "x"], env=env)
    assert bad.returncode == 2
    assert "status must be one of" in bad.stderr


# --- through the channels ---------------------------------------------------------------------

OFFICER_TG = 7770001
REPORTER_ZALO = "a1b2c3d4e5f60718293a"


@pytest.fixture
def settings(database_url: str, tmp_media: Path) -> Settings:
    """Test settings with a small photo size limit (the channels get the same)."""
    return reporting.small_photo_settings(database_url, tmp_media)


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeTelegram, FakeZalo]]:
    """Fake Telegram and Zalo Bot APIs."""
    async with FakeTelegram() as tg, FakeZalo() as zl:
        yield tg, zl


async def test_reporter_on_zalo_officer_on_telegram(
    settings: Settings,
    loa: Loa,
    fakes: tuple[FakeTelegram, FakeZalo],
    tmp_path: Path,
) -> None:
    tg, zl = fakes
    both = both_fakes(settings, tg, zl, max_photo_bytes=reporting.PHOTO_LIMIT)
    (officer_code,) = await invite_codes(loa, Role.officer, "ia-toi")
    (reporter_code,) = await invite_codes(loa, Role.reporter, "ia-toi")
    reporter = REPORTER_ZALO

    async def say(text: str) -> str:
        count = len(zl.sent(reporter))
        zl.text(reporter, text)
        await zl.wait_sent(reporter, count + 1)
        return zl.last_text(reporter)

    async def show(url: str) -> str:
        count = len(zl.sent(reporter))
        zl.image(reporter, url)
        await zl.wait_sent(reporter, count + 1)
        return zl.last_text(reporter)

    async with running(both, loa):
        tg.text(OFFICER_TG, f"/join {officer_code}")
        await tg.wait_sent(OFFICER_TG, 1)
        assert "Bạn đã là cán bộ của Xã Ia Tơi" in tg.texts(OFFICER_TG)[-1]

        # The reporter answers with numbers and words only: Zalo has no buttons.
        assert "Bạn đã là người báo cáo" in await say(f"/join {reporter_code}")
        await say(zl.number(reporter, "Gửi báo cáo"))
        assert "1. Hội nghị, họp dân" in zl.last_text(reporter)
        await say(zl.number(reporter, "Phát loa"))
        await say(zl.number(reporter, "Xã Ia Tơi"))
        assert "Hãy gõ ngày" in await say("hôm kia")
        await say(zl.number(reporter, "Hôm qua"))
        await say("xong")  # no Dự án 8 topic
        assert "Hãy gõ một số" in await say("ba mươi")
        await say("30")
        await say("28")
        await say("15")
        await say("Phát loa tuyên truyền về vay vốn ưu đãi, hai buổi sáng.")
        assert "Đã lưu 1 ảnh" in await show(zl.host(jpeg(tmp_path / "loa.jpg").read_bytes()))
        refused = await show(zl.host(b"<html><body>Expired</body></html>", "text/html"))
        assert "không được thêm: tệp này không phải là ảnh" in refused
        big = reporting.noisy_jpeg(tmp_path / "big.jpg").read_bytes()
        assert "ảnh lớn hơn 0,3 MB" in await show(zl.host(big))
        await say("xong")
        await say(zl.number(reporter, "Bỏ qua"))
        summary = zl.last_text(reporter)
        assert "Số người tham gia: 30 (dân tộc thiểu số: 28; nữ: 15)" in summary
        assert "Đã gửi báo cáo #" in await say(zl.number(reporter, "Gửi báo cáo"))
        report = await _report(loa)

        # The runtime's outbox worker, woken by the notification, brings the officer the photo,
        # then the summary with buttons, on Telegram.
        before = 1
        calls = (await tg.wait_sent(OFFICER_TG, before + 2))[before:]
        assert [call.method for call in calls] == ["sendPhoto", "sendMessage"]
        assert f"Báo cáo #{report.id}: ảnh 1/1" in tg.texts(OFFICER_TG)[before]
        assert "Có báo cáo mới đang chờ bạn duyệt." in tg.texts(OFFICER_TG)[-1]
        tg.press(OFFICER_TG, tg.button(OFFICER_TG, "Duyệt"))
        await tg.wait_sent(OFFICER_TG, before + 3)
        assert f"Đã duyệt báo cáo #{report.id}" in tg.texts(OFFICER_TG)[-1]

        # The reporter hears of it on Zalo.
        await zl.wait_for(lambda: "Tin vui" in zl.last_text(reporter))
        assert f"Tin vui: báo cáo #{report.id} (Phát loa, truyền thanh, 24/11/2026)" in (
            zl.last_text(reporter)
        )
    assert (await _report(loa, report.id)).status == "approved"


async def test_messages_that_waited_are_checked_again_when_they_go(
    loa: Loa, clock: FrozenClock, tmp_path: Path
) -> None:
    first = await joined(loa, "officer", Role.officer, "ia-toi")
    await joined(loa, "second-officer", Role.officer, "ia-toi")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _submit(reporter, tmp_path)
    report = await _report(loa)
    # The first officer decides before the notices went out (a night, an outage)...
    notice = _last_message(await outbox_replies(loa.engine, "test", "officer"))
    await _press_in(first, notice, "bổ sung")
    await first.send("Có bao nhiêu phụ nữ tham gia?")
    await _press_in(first, notice, "Duyệt")  # pressed again later: the round moved on
    sender = RecordingSender()
    worker = OutboxWorker(loa.db, {"test": sender}, loa.settings, clock)
    Scheduler(loa, worker, run_worker=False)  # the running service checks before sending
    flushed = await worker.flush()
    # ...so neither officer gets approve/reject buttons for a report no longer waiting for them,
    # and the reporter gets the question with its "Answer the officer" button, still true.
    assert sender.texts("second-officer") == []
    assert not [t for t in sender.texts("officer") if "đang chờ bạn duyệt" in t]
    (question,) = sender.texts("reporter")
    assert "Có bao nhiêu phụ nữ tham gia?" in question
    assert flushed.skipped == 2

    # A question to the reporter that they answered (from /myreports) before it reached them
    # is dropped; the officers hear of the answer.
    await reporter.send("/myreports")
    await reporter.press(f"#{report.id}")
    await reporter.script("[Trả lời cán bộ]", "Có 7 phụ nữ.", "xong")
    second = _last_message(await outbox_replies(loa.engine, "test", "officer"))
    await _press_in(first, second, "bổ sung")
    await first.send("Xin gửi thêm ảnh của buổi họp.")
    await reporter.send("/myreports")
    await reporter.press(f"#{report.id}")
    await reporter.script("[Trả lời cán bộ]", "Ảnh đã gửi trong báo cáo, không có ảnh khác.")
    await reporter.send("xong")
    sender.sent.clear()
    await worker.flush()
    assert not any("Xin gửi thêm ảnh" in t for t in sender.texts("reporter"))
    # Only the notice of the round now open reaches the officers, not the one it replaced.
    (_photo, notice_now) = sender.texts("second-officer")
    assert "Ảnh đã gửi trong báo cáo, không có ảnh khác." in notice_now


async def test_an_answer_given_in_quiet_hours_says_when_it_will_go(
    loa: Loa, clock: FrozenClock, tmp_path: Path
) -> None:
    officer, reporter, _report = await submitted(loa, tmp_path)
    clock.set(datetime(2026, 11, 25, 16, 30, tzinfo=UTC))  # 23:30 in Vietnam
    await officer.script("/pending", "[#]", "[Duyệt]")
    assert "Đã duyệt báo cáo" in officer.text
    assert "giờ yên lặng (21:00–07:00)" in officer.text and "lúc 07:00" in officer.text
    sender = RecordingSender()
    worker = OutboxWorker(loa.db, {"test": sender}, loa.settings, clock)
    await worker.flush()
    assert sender.texts("reporter") == []  # held, as the officer was told
    clock.set(datetime(2026, 11, 26, 0, 1, tzinfo=UTC))  # 07:01
    await worker.flush()
    assert any("duyệt" in t for t in sender.texts("reporter"))
    # In the daytime nothing is added.
    await _submit(reporter, tmp_path, "second")
    await officer.script("/pending", "[#]", "[Duyệt]")
    assert "Đã duyệt báo cáo" in officer.text and "yên lặng" not in officer.text
