"""The reporter's first hour without dead ends (issue 12): going back one question, a cancel
that keeps the draft, Dự án 8 topics and age groups, optional photos, removing one photo,
villages (typed, confirmed by an officer, added in chat or on the command line), answers in
any order, the truth about who reviews, withdrawing, and changing a rejected report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Loa
from bot.core.chat import Kind
from bot.core.clock import FrozenClock
from bot.core.config import Settings
from db.models import OutboxMessage, Report, ReportMedia, Role, Unit
from tests.fakes.runtime import both_fakes, running
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo
from tests.fixtures.reporting import invite_codes, joined, jpeg, ref, send_photos
from tests.helpers import Chat, outbox_replies
from tests.test_cli import run_loa
from tests.test_report_flow import _to_photos
from tests.test_review import (
    _last_message,
    _press_in,
    _report,
    _submit,
    _trail,
    ask_reporter,
    submitted,
)


async def _start(chat: Chat, activity: str = "Hội nghị") -> None:
    """Open a new report and answer the kind of activity and the place."""
    await chat.send("/report")
    if "chưa gửi" in chat.text:
        await chat.press("Bắt đầu báo cáo mới")
    await chat.press(activity)
    await chat.press(chat.choices[0].label)


async def test_back_goes_one_question_back_and_cancel_keeps_the_draft(loa: Loa) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await reporter.send("/report")
    assert "“quay lại”" in reporter.text  # the first screen says how to go back
    await reporter.then("quay lại", "Đây là câu hỏi đầu tiên")
    assert "Hội nghị, họp dân" in [c.label for c in reporter.choices]
    await reporter.press("Hoạt động khác")
    await reporter.then("Giao lưu cồng chiêng", "Hoạt động diễn ra ở đâu?")
    await reporter.send("Quay lại")  # back to the question only "other" asks
    assert "Gõ vài chữ cho biết đó là hoạt động gì" in reporter.text
    await reporter.script("Giao lưu văn hóa cồng chiêng", "[Xã Ia Tơi]", "[Hôm nay]", "back")
    assert "Hoạt động diễn ra ngày nào?" in reporter.text
    await reporter.script("[Hôm nay]", "[Xong]", "40", "trở lại")
    assert "Có bao nhiêu người tham gia?" in reporter.text
    await reporter.send("trở lại")
    assert "Dự án 8" in reporter.text  # the topics question, before the head count
    await reporter.then("[Xong]", "Có bao nhiêu người tham gia?")

    # /cancel (and "hủy") stop, say the draft is kept and how to go on; nothing is lost.
    await reporter.then("hủy", "Báo cáo của bạn vẫn được giữ lại, chưa gửi đi")
    assert "Đã hủy" not in reporter.text
    report = await _report(loa)
    assert (report.status, report.activity_other, report.participants) == (
        "draft",
        "Giao lưu văn hóa cồng chiêng",
        40,
    )
    await reporter.press("Gửi báo cáo")
    await reporter.then("[Làm tiếp]", "Có bao nhiêu người tham gia?")

    # Outside any flow "quay lại" is no question to search for: it shows the menu.
    villager = Chat(loa.engine, user="villager")
    await villager.script("/start", "[Tiếng Việt]", "quay lại")
    assert "Menu chính" in villager.text


async def test_back_from_the_summary_and_from_photos(loa: Loa, tmp_path: Path) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _to_photos(reporter)
    await reporter.then("quay lại", "Mô tả hoạt động")
    await reporter.send("Họp dân phổ biến chính sách hỗ trợ nhà ở, 2 buổi.")
    await send_photos(reporter, ref(jpeg(tmp_path / "a.jpg")))
    await reporter.send("xong")
    await reporter.then("[Bỏ qua]", "Báo cáo của bạn — hãy kiểm tra lại")
    await reporter.then("quay lại", "gửi vị trí")
    await reporter.then("[Bỏ qua]", "Mô tả: Họp dân phổ biến chính sách hỗ trợ nhà ở, 2 buổi.")


async def test_du_an_8_topics_and_age_groups(loa: Loa, database_url: str, tmp_path: Path) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _start(reporter)
    await reporter.then("[Hôm nay]", "Dự án 8")
    assert [c.label for c in reporter.choices] == [
        "☐ Tảo hôn",
        "☐ Hôn nhân cận huyết thống",
        "☐ Bạo lực gia đình",
        "☐ Bình đẳng giới",
        "☐ Mua bán người",
        "✅ Xong",
    ]
    await reporter.press("Tảo hôn")
    assert "☑ Tảo hôn" in [c.label for c in reporter.choices]
    assert "Đã chọn: Tảo hôn." in reporter.text
    # As on Zalo: several numbers in one message tick (or untick) each.
    await reporter.then("1, 2, 3", "Đã chọn: Hôn nhân cận huyết thống, Bạo lực gia đình.")
    await reporter.then("7, 1", "Hãy chọn chủ đề bằng số, từ 1 đến 5")
    await reporter.script("xong", "60", "60", "35")
    assert "bao nhiêu thanh niên (từ 16 đến 30 tuổi)" in reporter.text
    await reporter.then("70", "lớn hơn tổng số 60 người tham gia")
    await reporter.then("25", "bao nhiêu trẻ em (dưới 16 tuổi)")
    await reporter.then("12", "Mô tả hoạt động")
    report = await _report(loa)
    assert report.themes == ["cousin_marriage", "domestic_violence"]
    assert (report.young_people, report.children) == (25, 12)
    env = {"DATABASE_URL": database_url, "MEDIA_DIR": str(tmp_path / "media")}
    shown = run_loa("reports", "show", str(report.id), "--json", env=env)
    data = json.loads(shown.stdout)
    assert data["themes"] == ["cousin_marriage", "domestic_violence"]
    assert (data["young_people"], data["children"], data["place_as_typed"]) == (25, 12, "")

    await reporter.send("Tuyên truyền phòng chống tảo hôn, hôn nhân cận huyết thống.")
    await reporter.send("xong")  # photos are needed for a meeting
    assert "Hãy gửi ít nhất một ảnh" in reporter.text


async def test_summary_shows_topics_and_ages_and_editing_topics(loa: Loa, tmp_path: Path) -> None:
    officer = await joined(loa, "officer", Role.officer, "ia-toi")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _start(reporter)
    await reporter.script("[Hôm nay]", "[Bạo lực gia đình]", "[Xong]")
    for answer in ("30", "bỏ qua", "20", "10", "bỏ qua"):
        await reporter.send(answer)
    await reporter.send("Nói chuyện về phòng chống bạo lực gia đình.")
    await send_photos(reporter, ref(jpeg(tmp_path / "a.jpg")))
    await reporter.send("xong")
    await reporter.press("Bỏ qua")
    assert "Chủ đề (Dự án 8): Bạo lực gia đình" in reporter.text
    assert "Số người tham gia: 30 (nữ: 20; thanh niên: 10)" in reporter.text
    await reporter.script("[Sửa một mục]", "[Chủ đề]", "[Bình đẳng giới]", "[Xong]")
    assert "bao nhiêu thanh niên" in reporter.text
    await reporter.send("12")
    await reporter.send("5")
    assert "Chủ đề (Dự án 8): Bạo lực gia đình, Bình đẳng giới" in reporter.text
    assert "Số người tham gia: 30 (nữ: 20; thanh niên: 12; trẻ em: 5)" in reporter.text
    await reporter.press("Gửi báo cáo")
    request = _last_message(await outbox_replies(loa.engine, "test", "officer"))
    assert "Chủ đề (Dự án 8): Bạo lực gia đình, Bình đẳng giới" in request.text
    del officer


async def test_themes_come_from_the_configuration(
    database_url: str, tmp_media: Path, clock: FrozenClock
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        media_dir=tmp_media,
        telegram_token=None,
        zalo_token=None,
        report_themes="child_marriage, Phòng chống ma túy",  # type: ignore[arg-type]
        photo_optional_activities="",  # type: ignore[arg-type]
    )
    assert settings.report_themes == ("child_marriage", "Phòng chống ma túy")
    assert settings.photo_optional_activities == ()
    loa = await Loa.start(settings, clock=clock)
    try:
        reporter = await joined(loa, "reporter-config", Role.reporter, "ia-toi")
        await _start(reporter, "Phát loa")
        await reporter.press("Hôm nay")
        assert [c.label for c in reporter.choices] == [
            "☐ Tảo hôn",
            "☐ Phòng chống ma túy",
            "✅ Xong",
        ]
        await reporter.press("Xong")
        for answer in ("20", "bỏ qua", "bỏ qua"):
            await reporter.send(answer)
        await reporter.send("Phát loa hai buổi sáng về phòng chống ma túy.")
        await reporter.send("xong")  # every kind needs a photo here
        assert "Hãy gửi ít nhất một ảnh" in reporter.text
    finally:
        await loa.close()


async def test_photos_are_optional_for_a_loudspeaker_broadcast(loa: Loa) -> None:
    officer = await joined(loa, "officer", Role.officer, "ia-toi")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _to_photos(reporter, "Phát loa")
    assert "Loại hoạt động này không bắt buộc có ảnh" in reporter.text
    await reporter.then("xong", "gửi vị trí")
    await reporter.then("[Bỏ qua]", "Ảnh: 0")
    await reporter.then("[Gửi báo cáo]", "Đã gửi báo cáo #")
    (request,) = await outbox_replies(loa.engine, "test", "officer")
    assert [r.attachment for r in request] == [None]  # the summary alone
    del officer


async def test_remove_one_photo(loa: Loa, tmp_path: Path) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _to_photos(reporter)
    first = jpeg(tmp_path / "keep.jpg", color=(10, 10, 10))
    second = jpeg(tmp_path / "blurred.jpg", color=(200, 10, 10))
    await send_photos(reporter, ref(first), ref(second))
    await reporter.press("Xóa một ảnh")
    shown = [r for r in reporter.last if r.attachment is not None]
    assert [r.text for r in shown] == ["Ảnh 1", "Ảnh 2"]
    assert all(r.attachment.path.is_file() for r in shown)  # type: ignore[union-attr]
    assert [c.label for c in reporter.choices] == [
        "🗑 Ảnh 1",
        "🗑 Ảnh 2",
        "🗑 Cả 2 ảnh",
        "⬅ Giữ lại tất cả",
    ]
    await reporter.send(reporter.number("Ảnh 2"))  # typed, as on Zalo
    assert "Đã xóa ảnh 2." in reporter.text
    assert "Số ảnh đã gửi: 1." in reporter.text
    report = await _report(loa)
    async with loa.db.session() as session:
        stmt = select(ReportMedia.path).where(ReportMedia.report_id == report.id)
        paths = list((await session.execute(stmt)).scalars())
    assert len(paths) == 1
    assert (loa.settings.media_dir / paths[0]).read_bytes() == first.read_bytes()
    await reporter.press("Xóa một ảnh")
    await reporter.then("[Giữ lại tất cả]", "Số ảnh đã gửi: 1.")


async def test_a_place_not_on_the_list_is_kept_and_the_officer_adds_it(
    loa: Loa, database_url: str, tmp_path: Path
) -> None:
    officer = await joined(loa, "officer", Role.officer, "ia-toi")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await reporter.script("/report", "[Hội nghị]", "Làng Tơ Drăh")
    assert "“Làng Tơ Drăh” chưa có trong danh sách địa danh của Loa" in reporter.text
    assert "là một nơi thuộc Xã Ia Tơi, và cán bộ sẽ xác nhận" in reporter.text
    await reporter.press("Hôm nay")
    await reporter.press("Xong")
    for answer in ("25", "bỏ qua", "bỏ qua", "Họp làng bàn về nước sạch và vệ sinh."):
        await reporter.send(answer)
    await send_photos(reporter, ref(jpeg(tmp_path / "a.jpg")))
    await reporter.send("xong")
    await reporter.then("[Bỏ qua]", "Nơi diễn ra: Làng Tơ Drăh (ghi theo lời người báo cáo")
    await reporter.press("Gửi báo cáo")

    env = {"DATABASE_URL": database_url, "MEDIA_DIR": str(tmp_path / "media")}
    typed = json.loads(
        run_loa("reports", "show", "--json", str((await _report(loa)).id), env=env).stdout
    )
    assert (typed["unit"], typed["place_as_typed"]) == ("ia-toi", "Làng Tơ Drăh")
    request = _last_message(await outbox_replies(loa.engine, "test", "officer"))
    assert "Nơi diễn ra: Làng Tơ Drăh (ghi theo lời người báo cáo" in request.text
    labels = [c.label for c in request.choices]
    assert "➕ Thêm “Làng Tơ Drăh” vào danh sách địa danh" in labels
    await _press_in(officer, request, "Thêm “Làng Tơ Drăh”")
    assert "Đã thêm “Làng Tơ Drăh” vào danh sách của Xã Ia Tơi" in officer.text
    report = await _report(loa)
    assert (report.unit_id, report.place_text) == ("ia-toi-lang-to-drah", "")
    await _press_in(officer, request, "Thêm “Làng Tơ Drăh”")
    assert "đã được xác nhận: Làng Tơ Drăh" in officer.text

    # From now on the village is a choice, and typed without accents it is found.
    await reporter.send("/report")
    await reporter.press("Hội nghị")
    assert "Làng Tơ Drăh" in [c.label for c in reporter.choices]
    await reporter.then("lang to drah", "Nơi diễn ra: Làng Tơ Drăh.")


async def test_officers_add_villages_in_chat_and_on_the_command_line(
    loa: Loa, settings: Settings, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    officer = await joined(loa, "officer", Role.officer, "ia-toi")
    district = await joined(loa, "district", Role.officer, "ia-hdrai")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await officer.then("/addvillage Thôn 5", "Đã thêm “Thôn 5” vào danh sách của Xã Ia Tơi")
    await officer.then("/addvillage thon 5", "“Thôn 5” đã có trong danh sách của Xã Ia Tơi")
    await officer.then("/addvillage Ia Đal: Thôn 1", "Xã Ia Đal không thuộc nơi bạn phụ trách")
    await district.then("/addvillage Làng Mới", "Huyện Ia H'Drai không phải là xã")
    await district.send("/addvillage Ia Dom: Làng Mới")
    assert "Đã thêm “Làng Mới” vào danh sách của Xã Ia Dom" in district.text
    await reporter.send("/addvillage Thôn 9")
    assert "chỉ dành cho" in reporter.text or "không biết lệnh" in reporter.text

    env = {"DATABASE_URL": database_url, "MEDIA_DIR": str(tmp_path / "media")}
    added = run_loa("org", "add-village", "Ia Tơi", "Thôn Đắk Tân", env=env)
    assert added.returncode == 0, added.stderr
    assert "added ia-toi-thon-dak-tan: Thôn Đắk Tân under Xã Ia Tơi" in added.stdout
    again = run_loa("org", "add-village", "ia-toi", "thon dak tan", env=env)
    assert "already a place of Xã Ia Tơi" in again.stdout
    wrong = run_loa("org", "add-village", "phong-ldtbxh", "Thôn 1", env=env)
    assert wrong.returncode != 0
    assert "is not a commune" in wrong.stderr

    # Added villages survive a restart (the org file knows nothing of them).
    await loa.close()
    restarted = await Loa.start(settings, clock=clock)
    try:
        reporter = Chat(restarted.engine, user="reporter")
        await reporter.send("/report")
        await reporter.press("Hội nghị")
        assert [c.label for c in reporter.choices] == ["Xã Ia Tơi", "Thôn 5", "Thôn Đắk Tân"]
        async with restarted.db.session() as session:
            unit = await session.get(Unit, "ia-toi-thon-5")
        assert unit is not None
        assert (unit.active, unit.kind, unit.source) == (True, "village", "added")
    finally:
        await restarted.close()


async def test_an_answer_gathers_text_and_photos_in_any_order(loa: Loa, tmp_path: Path) -> None:
    officer, reporter, report = await submitted(loa, tmp_path)
    question = await ask_reporter(loa, officer, "Bao nhiêu hộ? Thêm ảnh tờ rơi.")
    await _press_in(reporter, question, "Trả lời cán bộ")
    assert "chữ và ảnh, trước sau thế nào cũng được" in reporter.text
    await reporter.then("Có 14 hộ tham gia.", "Đã thêm vào câu trả lời", "“xong”")
    await send_photos(reporter, ref(jpeg(tmp_path / "leaflet.jpg", color=(9, 9, 9))))
    assert "Đã lưu 1 ảnh" in reporter.text
    assert "/report" not in reporter.text  # nothing that invites a second report
    await send_photos(
        reporter, ref(jpeg(tmp_path / "more.jpg", color=(90, 9, 9))), caption="Tờ rơi phát ở chợ"
    )
    assert (await _report(loa, report.id)).status == "needs_info"
    await reporter.send("xong")
    assert f"Câu trả lời đã được gửi kèm báo cáo #{report.id}" in reporter.text
    assert "Cán bộ của Xã Ia Tơi sẽ xem và duyệt" in reporter.text
    trail = await _trail(loa, report.id)
    assert trail[-1] == (
        "needs_info",
        "submitted",
        "reporter",
        "Có 14 hộ tham gia.\nTờ rơi phát ở chợ",
    )
    again = (await outbox_replies(loa.engine, "test", "officer"))[-1]
    assert len([r for r in again if r.attachment is not None]) == 3

    # /cancel while answering says what is kept.
    question = await ask_reporter(loa, officer, "Ai chủ trì?")
    await _press_in(reporter, question, "Trả lời cán bộ")
    await reporter.then("/cancel", "Câu trả lời chưa được gửi cho cán bộ")


async def test_the_reporter_hears_who_will_review(loa: Loa, tmp_path: Path) -> None:
    admin = await joined(loa, "admin", Role.admin, "phong-ldtbxh")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-dal")
    await _submit(reporter, tmp_path)
    assert "Chưa có cán bộ nào của Xã Ia Đal dùng Loa" in reporter.text
    assert "Loa đã báo cho quản trị viên" in reporter.text
    assert "sẽ xem và duyệt" not in reporter.text
    request = _last_message(await outbox_replies(loa.engine, "test", "admin"))
    assert "Có báo cáo mới đang chờ bạn duyệt." in request.text

    await joined(loa, "officer", Role.officer, "ia-dal")
    await _submit(reporter, tmp_path)
    assert "Cán bộ của Xã Ia Đal sẽ xem và duyệt" in reporter.text
    del admin


async def test_withdraw_before_review_then_send_again(loa: Loa, tmp_path: Path) -> None:
    officer, reporter, report = await submitted(loa, tmp_path)
    request = _last_message(await outbox_replies(loa.engine, "test", "officer"))
    await reporter.press("Báo cáo của tôi")
    await reporter.press(f"Xem báo cáo #{report.id}")
    await reporter.press("Rút lại báo cáo này")
    assert f"Đã rút lại báo cáo #{report.id}" in reporter.text
    assert "Báo cáo của bạn — hãy kiểm tra lại" in reporter.text
    assert (await _report(loa, report.id)).status == "draft"
    async with loa.db.session() as session:
        states = list(
            (
                await session.execute(select(OutboxMessage.state).order_by(OutboxMessage.id))
            ).scalars()
        )
    assert states[-1] == "cancelled"  # the review request not yet sent is not sent
    await _press_in(officer, request, "Duyệt")
    assert "Người báo cáo đã rút lại báo cáo" in officer.text
    assert (await _report(loa, report.id)).status == "draft"

    await reporter.script("[Sửa một mục]", "[Số người tham gia]", "22", "bỏ qua", "bỏ qua")
    await reporter.then("[Gửi báo cáo]", "Đã gửi báo cáo #")
    again = _last_message(await outbox_replies(loa.engine, "test", "officer"))
    assert f"Người báo cáo đã sửa và gửi lại báo cáo #{report.id}" in again.text
    assert [step[:2] for step in await _trail(loa, report.id)] == [
        ("draft", "submitted"),
        ("submitted", "draft"),
        ("draft", "submitted"),
    ]
    await _press_in(officer, again, "Duyệt")
    await reporter.press("Báo cáo của tôi")
    await reporter.press(f"Xem báo cáo #{report.id}")
    assert "Rút lại" not in " ".join(c.label for c in reporter.choices)


async def test_a_rejected_report_is_changed_and_sent_again(loa: Loa, tmp_path: Path) -> None:
    officer, reporter, report = await submitted(loa, tmp_path)
    request = _last_message(await outbox_replies(loa.engine, "test", "officer"))
    await _press_in(officer, request, "Không duyệt")
    await officer.send("Sai ngày: hôm qua, không phải hôm nay.")
    await reporter.press("Báo cáo của tôi")
    await reporter.press(f"Xem báo cáo #{report.id}")
    await reporter.press("Sửa và gửi lại")
    assert f"Báo cáo #{report.id} đã được mở lại" in reporter.text
    assert "“Sai ngày: hôm qua, không phải hôm nay.”" in reporter.text
    assert "Mô tả: Đến từng nhà phổ biến chính sách hỗ trợ nhà ở." in reporter.text  # kept
    await reporter.script("[Sửa một mục]", "[Ngày]", "[Hôm qua]", "[Gửi báo cáo]")
    stored = await _report(loa, report.id)
    assert (stored.status, stored.activity_date.isoformat()) == ("submitted", "2026-11-24")  # type: ignore[union-attr]
    assert [step[:2] for step in await _trail(loa, report.id)][-2:] == [
        ("rejected", "draft"),
        ("draft", "submitted"),
    ]
    again = _last_message(await outbox_replies(loa.engine, "test", "officer"))
    assert "sửa và gửi lại" in again.text


@pytest.mark.parametrize("action", ["wd", "re"])
async def test_only_ones_own_report_in_the_right_state_can_be_reopened(
    loa: Loa, tmp_path: Path, action: str
) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    other = await joined(loa, "other", Role.reporter, "ia-toi")
    await _submit(reporter, tmp_path)
    report = await _report(loa)
    await other.event(Kind.choice, choice=f"v1:rp:{action}:{report.id}")
    assert f"Báo cáo #{report.id} không phải báo cáo của bạn." in other.text
    if action == "re":  # still waiting for review, not rejected
        await reporter.event(Kind.choice, choice=f"v1:rp:re:{report.id}")
        assert "bây giờ không sửa được nữa" in reporter.text
    assert (await _report(loa, report.id)).status == "submitted"


async def test_topics_back_and_removing_a_photo_on_zalo_and_telegram(
    settings: Settings, loa: Loa, tmp_path: Path
) -> None:
    (zalo_code, telegram_code) = await invite_codes(loa, Role.reporter, "ia-toi", count=2)
    zalo_user, telegram_user = "5a1c0de", 6660042
    pictures = [jpeg(tmp_path / f"{n}.jpg", color=(n * 90, 9, 9)).read_bytes() for n in range(2)]
    async with FakeTelegram() as tg, FakeZalo() as zl:
        both = both_fakes(settings, tg, zl)

        async def say(text: str, replies: int = 1) -> str:
            count = len(zl.sent(zalo_user))
            zl.text(zalo_user, text)
            await zl.wait_sent(zalo_user, count + replies)
            return "\n\n".join(zl.texts(zalo_user)[-replies:])

        async def press(label: str, replies: int = 1) -> str:
            count = len(tg.sent(telegram_user))
            tg.press(telegram_user, tg.button(telegram_user, label))
            await tg.wait_sent(telegram_user, count + replies)
            return tg.texts(telegram_user)[-1]

        async with running(both, loa):
            # Zalo: no buttons, so topics are typed as numbers, several at once.
            await say(f"/join {zalo_code}")
            await say(zl.number(zalo_user, "Gửi báo cáo"))
            await say(zl.number(zalo_user, "Hội nghị"))
            await say(zl.number(zalo_user, "Xã Ia Tơi"))
            topics = await say(zl.number(zalo_user, "Hôm nay"))
            assert "1. ☐ Tảo hôn" in topics
            assert "6. ✅ Xong" in topics
            ticked = await say("1, 3")
            assert "1. ☑ Tảo hôn" in ticked
            assert "3. ☑ Bạo lực gia đình" in ticked
            await say("xong")
            assert "Dự án 8" in await say("quay lại")
            await say("xong")
            for answer in ("30", "bỏ qua", "bỏ qua", "bỏ qua", "bỏ qua"):
                await say(answer)
            await say("Họp dân về phòng chống tảo hôn.")
            for picture in pictures:
                count = len(zl.sent(zalo_user))
                zl.image(zalo_user, zl.host(picture))
                await zl.wait_sent(zalo_user, count + 1)
            # Zalo cannot take uploads (no PUBLIC_BASE_URL here): the photos' names, then
            # the numbered choice.
            listed = await say(zl.number(zalo_user, "Xóa một ảnh"), replies=3)
            assert "Ảnh 1\n\nẢnh 2\n\nBạn muốn xóa ảnh nào?" in listed
            assert "Đã xóa ảnh 1." in await say(zl.number(zalo_user, "🗑 Ảnh 1"))

            # Telegram: topics are buttons that tick; thumbnails come as photos.
            tg.text(telegram_user, f"/join {telegram_code}")
            await tg.wait_sent(telegram_user, 1)
            tg.text(telegram_user, "/report")
            await tg.wait_sent(telegram_user, 2)
            await press("Hội nghị")
            await press("Xã Ia Tơi")
            await press("Hôm nay")
            assert "Đã chọn: Mua bán người." in await press("Mua bán người")
            assert "5. ☑ Mua bán người" in [b["text"] for b in tg.keyboard(telegram_user)]
            await press("Xong")
            for answer in ("12", "bỏ qua", "bỏ qua", "bỏ qua", "bỏ qua", "Nói chuyện ở chợ."):
                count = len(tg.sent(telegram_user))
                tg.text(telegram_user, answer)
                await tg.wait_sent(telegram_user, count + 1)
            count = len(tg.sent(telegram_user))
            tg.photo(telegram_user, pictures[0])
            await tg.wait_sent(telegram_user, count + 1)
            await press("Xóa một ảnh", replies=2)
            calls = tg.sent(telegram_user)[-2:]
            assert [call.method for call in calls] == ["sendPhoto", "sendMessage"]
            assert "Đã xóa ảnh 1." in await press("🗑 Ảnh 1")
    async with loa.db.session() as session:
        reports = list((await session.execute(select(Report).order_by(Report.id))).scalars())
        photos = list((await session.execute(select(ReportMedia.report_id))).scalars())
    assert [r.themes for r in reports] == [
        ["child_marriage", "domestic_violence"],
        ["trafficking"],
    ]
    assert photos == [reports[0].id]  # Zalo's second photo; Telegram's only one was removed
