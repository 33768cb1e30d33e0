"""A reporter's whole report, played through the engine: every step, wrong answers, a cancel,
a restart, an album, files that are not photos; then what officers are sent and what is stored."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Loa
from bot.core.chat import AttachmentKind, Incoming, Kind, Location, MediaRef, to_plain
from bot.core.clock import FrozenClock
from bot.core.config import Settings
from bot.engine import BadInput
from db.models import Report, ReportEvent, ReportMedia, Role, User
from handlers.report import parse_count, parse_day
from tests.fakes import telegram as fake_telegram
from tests.fakes.runtime import channel_settings, running
from tests.fakes.telegram import FakeTelegram
from tests.fixtures.reporting import (
    PHOTO_LIMIT,
    invite_codes,
    joined,
    jpeg,
    noisy_jpeg,
    ref,
    send_photos,
    small_photo_settings,
)
from tests.helpers import Chat, fresh_update_id, outbox_replies


@pytest.fixture
def settings(database_url: str, tmp_media: Path) -> Settings:
    """Test settings with a small photo size limit."""
    return small_photo_settings(database_url, tmp_media)


async def _reports(loa: Loa) -> list[Report]:
    async with loa.db.session() as session:
        return list((await session.execute(select(Report).order_by(Report.id))).scalars())


async def _media(loa: Loa, report_id: int) -> list[ReportMedia]:
    async with loa.db.session() as session:
        stmt = (
            select(ReportMedia).where(ReportMedia.report_id == report_id).order_by(ReportMedia.id)
        )
        return list((await session.execute(stmt)).scalars())


async def _events(loa: Loa, report_id: int) -> list[ReportEvent]:
    async with loa.db.session() as session:
        stmt = (
            select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id)
        )
        return list((await session.execute(stmt)).scalars())


async def _user_id(loa: Loa, external_id: str) -> int:
    async with loa.db.session() as session:
        stmt = select(User.id).where(User.external_id == external_id)
        return int((await session.execute(stmt)).scalar_one())


async def _wrong(chat: Chat, message: str, expected: str) -> None:
    """Send a wrong answer: it is explained, and the same question's buttons stay."""
    before = [c.payload for c in chat.choices]
    await chat.send(message)
    assert expected in chat.text, chat.text
    assert [c.payload for c in chat.choices] == before


async def test_reporters_whole_flow_with_mistakes_cancel_restart_and_album(
    loa: Loa, settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    commune_officer = await joined(loa, "officer-ia-toi", Role.officer, "ia-toi")
    district_officer = await joined(loa, "officer-district", Role.officer, "ia-hdrai")
    other_officer = await joined(loa, "officer-ia-dal", Role.officer, "ia-dal")
    reporter = await joined(loa, "village-head", Role.reporter, "ia-toi")
    assert "Gửi báo cáo" in [c.label for c in reporter.choices]

    # Activity.
    await reporter.then("[Gửi báo cáo]", "Báo cáo mới", "Đó là hoạt động gì?")
    assert [c.label for c in reporter.choices] == [
        "Hội nghị, họp dân",
        "Phát loa, truyền thanh",
        "Tuyên truyền tại nhà, lưu động",
        "Pano, áp phích, tờ rơi",
        "Ấn phẩm song ngữ",
        "Biểu dương, tôn vinh điển hình",
        "Tin bài, trang thông tin điện tử",
        "Hoạt động khác",
    ]
    await _wrong(reporter, "trồng cây", "Hãy chọn loại hoạt động trong danh sách")
    await _wrong(reporter, "9", "Hãy chọn loại hoạt động")
    await reporter.send(reporter.number("Hội nghị"))  # typed number, as on Zalo

    # Place: only the reporter's own commune (and what is under it).
    assert "Hoạt động diễn ra ở đâu?" in reporter.text
    assert [c.label for c in reporter.choices] == ["Xã Ia Tơi"]
    await _wrong(reporter, "Ia Đal", "Bạn chỉ báo cáo được cho Xã Ia Tơi và các nơi trực thuộc")
    # A name Loa does not know is kept as typed; "quay lại" goes back to choose again.
    await reporter.send("Hà Nội")
    assert "“Hà Nội” chưa có trong danh sách địa danh của Loa" in reporter.text
    assert "Hoạt động diễn ra ngày nào?" in reporter.text
    await reporter.then("quay lại", "Quay lại câu hỏi trước.", "Hoạt động diễn ra ở đâu?")
    await reporter.send("ia toi")

    # Date.
    assert "Nơi diễn ra: Xã Ia Tơi." in reporter.text
    assert [c.label for c in reporter.choices] == ["Hôm nay (25/11)", "Hôm qua (24/11)"]
    await _wrong(reporter, "31/02", "Không có ngày này")
    await _wrong(reporter, "26/11/2026", "Ngày 26/11/2026 chưa tới")
    await _wrong(reporter, "20/09/2026", "Ngày 20/09/2026 đã cách đây hơn 60 ngày")
    await _wrong(reporter, "tuần trước", "Hãy gõ ngày theo kiểu ngày/tháng")
    await reporter.then("23/11", "Ngày: 23/11/2026.", "Dự án 8")
    await reporter.send("xong")  # not about a Dự án 8 topic

    # A cancel in the middle keeps the draft; /report offers to continue it.
    assert "Có bao nhiêu người tham gia?" in reporter.text
    await reporter.send("/cancel")
    assert "Đã dừng. Báo cáo của bạn vẫn được giữ lại, chưa gửi đi." in reporter.text
    assert "gửi /report" in reporter.text
    assert "Menu chính" in reporter.text
    await reporter.send("/report")
    assert (
        "Bạn có một báo cáo chưa gửi (Hội nghị, họp dân, bắt đầu ngày 25/11/2026)" in reporter.text
    )
    await reporter.then("[Làm tiếp]", "Có bao nhiêu người tham gia?")
    assert reporter.choices == ()  # no buttons: a typed "1" must mean one person

    # People.
    await _wrong(reporter, "nhiều lắm", "Hãy gõ một số, ví dụ 35")
    await _wrong(reporter, "bỏ qua", "Cần có số này")
    await _wrong(reporter, "1000000", "lớn hơn mức Loa nhận được")
    await reporter.then("35 người", "bao nhiêu người dân tộc thiểu số")
    await _wrong(reporter, "40", "lớn hơn tổng số 35 người tham gia")
    await reporter.then("30", "bao nhiêu phụ nữ")
    await _wrong(reporter, "không", "Hãy gõ một số")  # "none" or "don't know"? Ask again.
    await reporter.send("không rõ")

    # Loa restarts in the middle: the draft and the step survive.
    assert "Mô tả hoạt động" in reporter.text
    await loa.close()
    loa = await Loa.start(settings, clock=clock)
    try:
        reporter = Chat(loa.engine, user="village-head")
        await _wrong(reporter, "họp", "Hãy viết thêm một chút (ít nhất 10 ký tự)")
        await reporter.deliver(
            Incoming(
                "test",
                "village-head",
                fresh_update_id(),
                Kind.photo,
                media=(ref(jpeg(tmp_path / "early.jpg")),),
            )
        )
        assert "Bước gửi ảnh ở ngay sau" in reporter.text
        await reporter.send("Họp thôn tuyên truyền Chương trình 1719; bà con hỏi về vay vốn.")

        # Photos: an album with a file that is not a photo, then a photo that is too big.
        assert "Gửi từ 1 đến 10 ảnh" in reporter.text
        await _wrong(reporter, "xong", "Hãy gửi ít nhất một ảnh")
        await _wrong(reporter, "đây là ảnh", "Hãy gửi ảnh, hoặc gõ “xong”")
        text_file = tmp_path / "notes.jpg"
        text_file.write_text("meeting notes, not a picture")
        first = jpeg(tmp_path / "meeting.jpg", taken="2026:11:23 08:30:00", gps=(13.875, 107.6))
        second = jpeg(tmp_path / "poster.jpg", color=(20, 90, 200))
        await send_photos(
            reporter, ref(first), ref(text_file), ref(second), caption="Hội trường thôn"
        )
        assert "Đã lưu 2 ảnh. Báo cáo này có 2 ảnh (tối đa 10)." in reporter.text
        assert "Ảnh 2 (notes.jpg) không được thêm: tệp này không phải là ảnh." in reporter.text
        assert "Chú thích ảnh đã được thêm vào phần mô tả." in reporter.text
        big = noisy_jpeg(tmp_path / "big.jpg")
        assert big.stat().st_size > PHOTO_LIMIT
        await send_photos(reporter, ref(big))
        assert "Ảnh (big.jpg) không được thêm: ảnh lớn hơn 0,3 MB" in reporter.text
        await send_photos(reporter, MediaRef("zalo-cdn", problem="too_large"))
        assert "ảnh lớn hơn 0,3 MB" in reporter.text
        await send_photos(reporter, ref(first))
        assert "đã có trong báo cáo này; không thêm lần nữa" in reporter.text
        assert "Số ảnh đã gửi: 2." in reporter.text
        await reporter.send("xong")

        # Location.
        assert "gửi vị trí" in reporter.text
        await _wrong(reporter, "ở nhà văn hóa", "Hãy gửi vị trí, hoặc chọn Bỏ qua")
        await reporter.event(Kind.location, location=Location(13.8751, 107.6012))
        assert "Đã lưu vị trí." in reporter.text

        # The summary; change the head count; send.
        summary = reporter.text
        assert "Báo cáo của bạn — hãy kiểm tra lại" in summary
        assert "Hoạt động: Hội nghị, họp dân" in summary
        assert "Nơi diễn ra: Xã Ia Tơi\n" in summary
        assert "Ngày: 23/11/2026" in summary
        assert "Số người tham gia: 35 (dân tộc thiểu số: 30)" in summary
        assert "bà con hỏi về vay vốn.\nHội trường thôn" in summary
        assert "Ảnh: 2" in summary
        assert "Vị trí: 13.87510, 107.60120" in summary
        await _wrong(reporter, "gửi đi", "Hãy chọn: gửi báo cáo, sửa một mục, hoặc xóa báo cáo")
        await reporter.script("[Sửa một mục]", "[Số người tham gia]", "36", "30", "12")
        assert "Số người tham gia: 36 (dân tộc thiểu số: 30; nữ: 12)" in reporter.text
        await reporter.press("Gửi báo cáo")
        assert "Cảm ơn bạn! Đã gửi báo cáo #" in reporter.text
        assert "Cán bộ của Xã Ia Tơi sẽ xem và duyệt" in reporter.text
        assert "Menu chính" not in reporter.text  # the menu comes as buttons
        assert "Gửi báo cáo" in [c.label for c in reporter.choices]

        # What is stored.
        (report,) = await _reports(loa)
        assert report.status == "submitted"
        assert (report.activity, report.unit_id, report.activity_date) == (
            "conference",
            "ia-toi",
            date(2026, 11, 23),
        )
        assert (report.participants, report.ethnic_minority, report.women) == (36, 30, 12)
        assert report.description.endswith("Hội trường thôn")
        assert (report.latitude, report.longitude) == (13.8751, 107.6012)
        assert report.submitted_at == clock.now()
        media = await _media(loa, report.id)
        assert [m.kind for m in media] == ["photo", "photo"]
        assert not any(m.duplicate for m in media)
        meeting = media[0]
        assert meeting.taken_at == datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
        assert (round(meeting.gps_lat or 0, 3), round(meeting.gps_lon or 0, 3)) == (13.875, 107.6)
        assert (settings.media_dir / meeting.path).read_bytes() == first.read_bytes()
        assert (settings.media_dir / meeting.thumb_path).is_file()
        stored = sorted(p.name for p in settings.media_dir.rglob("*") if p.is_file())
        assert len(stored) == 4  # two photos and two thumbnails: nothing of the refused files
        events = await _events(loa, report.id)
        reporter_id = await _user_id(loa, "village-head")
        assert [(e.from_status, e.to_status, e.actor_id) for e in events] == [
            ("draft", "submitted", reporter_id)
        ]

        # Officers of the commune and of its parent are asked, with the photos; nobody else.
        for officer in ("officer-ia-toi", "officer-district"):
            (message,) = await outbox_replies(loa.engine, "test", officer)
            photos = [r for r in message if r.attachment is not None]
            assert [r.attachment.kind for r in photos] == [AttachmentKind.photo] * 2  # type: ignore[union-attr]
            assert photos[0].attachment.path == settings.media_dir.resolve() / meeting.path  # type: ignore[union-attr]
            assert (
                "ảnh 1/2 · chụp lúc 23/11/2026 08:30 · GPS 13.87500, 107.60000" in photos[0].text
            )
            last = message[-1]
            assert "Có báo cáo mới đang chờ bạn duyệt." in last.text
            assert f"Báo cáo #{report.id}" in last.text
            assert "Người gửi: người dùng" in to_plain(last.text)
            assert "(người báo cáo, Xã Ia Tơi)" in last.text
            assert [c.label for c in last.choices] == [
                "✅ Duyệt",
                "❌ Không duyệt",
                "❓ Đề nghị bổ sung thông tin",
            ]
        assert await outbox_replies(loa.engine, "test", "officer-ia-dal") == []
        assert await outbox_replies(loa.engine, "test", "village-head") == []
        del commune_officer, district_officer, other_officer
    finally:
        await loa.close()


async def _to_photos(chat: Chat, activity: str = "Hội nghị") -> None:
    """Answer everything up to the photos step quickly."""
    await chat.send("/report")
    if "chưa gửi" in chat.text:
        await chat.press("Bắt đầu báo cáo mới")
    await chat.press(activity)
    await chat.press(chat.choices[0].label)  # the reporter's own unit
    await chat.press("Hôm qua")
    await chat.press("Xong")  # no Dự án 8 topic
    await chat.script("20", "bỏ qua", "bỏ qua", "Phát loa tuyên truyền buổi sáng ở hai thôn.")
    assert chat.choice("Xong")  # the photos step


async def test_other_activity_voice_note_and_eleven_photos(loa: Loa, tmp_path: Path) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-dom")
    await reporter.send("/report")
    await reporter.send("biểu dương hộ điển hình")  # typed words name exactly one kind
    assert "Đó là hoạt động gì?" not in reporter.text
    await reporter.send("/cancel")
    await reporter.send("/report")
    await reporter.press("Bắt đầu báo cáo mới")  # the old draft goes away
    await reporter.then("[Hoạt động khác]", "Gõ vài chữ cho biết đó là hoạt động gì")
    await _wrong(reporter, "x" * 101, "tối đa 100 ký tự (bạn đã viết 101)")
    await reporter.script("Giao lưu văn hóa cồng chiêng", "[Xã Ia Dom]", "[Hôm nay]", "[Xong]")
    await reporter.script("120", "bỏ qua", "60")
    voice = tmp_path / "voice.ogg"
    voice.write_bytes(b"OggS" + b"\x01" * 500)
    await reporter.event(Kind.voice, media=(ref(voice, mime="audio/ogg"),))
    assert "Đã lưu tin nhắn thoại vào báo cáo." in reporter.text
    await reporter.press("Tiếp tục")  # no text: the voice note describes it
    album = [ref(jpeg(tmp_path / f"p{n}.jpg", color=(n * 20, 10, 10))) for n in range(11)]
    await send_photos(reporter, *album)
    assert "Đã lưu 10 ảnh" in reporter.text
    assert "Ảnh 11 (p10.jpg) không được thêm: mỗi báo cáo có tối đa 10 ảnh." in reporter.text
    assert "gửi vị trí" in reporter.text  # the tenth photo ends the step
    await reporter.send("không")  # no location
    assert "Hoạt động: Khác: Giao lưu văn hóa cồng chiêng" in reporter.text
    assert "Số người tham gia: 120 (nữ: 60)" in reporter.text
    assert "Mô tả: —" in reporter.text
    assert "Tin nhắn thoại: 1" in reporter.text
    assert "Vị trí: không có" in reporter.text
    await reporter.press("Gửi báo cáo")
    (report,) = await _reports(loa)
    assert (report.activity, report.activity_other) == ("other", "Giao lưu văn hóa cồng chiêng")
    kinds = [m.kind for m in await _media(loa, report.id)]
    assert kinds == ["voice"] + ["photo"] * 10
    # Nobody holds a post at Ia Dom or the district: the request goes to no one yet, the
    # reporter is told so, and the report waits in /pending for the first officer or admin.
    assert "Hiện chưa có cán bộ hay quản trị viên nào dùng Loa" in reporter.text
    assert "sẽ xem và duyệt" not in reporter.text
    assert await outbox_replies(loa.engine, "test", "reporter") == []


async def test_same_photo_in_a_later_report_is_flagged_for_the_officer(
    loa: Loa, tmp_path: Path
) -> None:
    await joined(loa, "officer", Role.officer, "ia-dal")
    reporter = await joined(loa, "reporter", Role.reporter, "ia-dal")
    photo = jpeg(tmp_path / "reused.jpg")
    for _round in range(2):
        await _to_photos(reporter)
        await send_photos(reporter, ref(photo))
        await reporter.script("xong", "[Bỏ qua]", "[Gửi báo cáo]")
    assert "đã được gửi trong báo cáo #" not in reporter.text
    first, second = await _reports(loa)
    assert [m.duplicate for m in await _media(loa, first.id)] == [False]
    assert [m.duplicate for m in await _media(loa, second.id)] == [True]
    stored = [p for p in loa.settings.media_dir.rglob("*.jpg") if ".thumb" not in p.name]
    assert len(stored) == 1  # one file for both reports
    messages = await outbox_replies(loa.engine, "test", "officer")
    assert len(messages) == 2
    assert f"⚠ đã gửi trong báo cáo #{first.id}" in messages[1][0].text
    assert "Ảnh: 1 (1 ảnh đã gửi trong báo cáo khác)" in messages[1][-1].text


async def test_repeated_photo_is_announced_to_the_reporter(loa: Loa, tmp_path: Path) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-dal")
    photo = jpeg(tmp_path / "again.jpg")
    await _to_photos(reporter)
    await send_photos(reporter, ref(photo))
    await reporter.script("xong", "[Bỏ qua]", "[Gửi báo cáo]")
    await _to_photos(reporter)
    await send_photos(reporter, ref(photo))
    assert "đã được gửi trong báo cáo #" in reporter.text
    assert "Ảnh vẫn được lưu" in reporter.text


async def test_delete_draft_and_remove_photos(loa: Loa, tmp_path: Path) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await _to_photos(reporter)
    await send_photos(reporter, ref(jpeg(tmp_path / "wrong.jpg")))
    await reporter.press("Xóa một ảnh")
    await reporter.then("[Ảnh 1]", "Đã xóa ảnh 1.")
    await _wrong(reporter, "xong", "Hãy gửi ít nhất một ảnh")
    await send_photos(reporter, ref(jpeg(tmp_path / "right.jpg", color=(1, 2, 3))))
    await reporter.script("xong", "[Bỏ qua]", "[Xóa báo cáo này]")
    assert "Đã xóa báo cáo. Không có gì được gửi đi." in reporter.text
    assert await _reports(loa) == []
    await reporter.then("/myreports", "Bạn chưa gửi báo cáo nào")


async def test_stale_buttons_of_the_flow_change_nothing(loa: Loa) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await reporter.send("/report")
    activity_payload = reporter.choice("Phát loa")
    await reporter.press("Hội nghị")
    # A button of the first question, pressed at the second: explained, nothing changes.
    await reporter.deliver(
        Incoming("test", "reporter", fresh_update_id(), Kind.choice, choice=activity_payload)
    )
    assert "Nút này thuộc câu hỏi khác" in reporter.text
    (draft,) = await _reports(loa)
    assert draft.activity == "conference"
    # Other features' buttons still work in the middle of a report.
    await reporter.press("Xã Ia Tơi")
    await reporter.deliver(
        Incoming("test", "reporter", fresh_update_id(), Kind.choice, choice="v1:t:lien-he")
    )
    assert "Liên hệ" in reporter.text


async def test_my_reports_shows_only_ones_own(loa: Loa, tmp_path: Path) -> None:
    alice = await joined(loa, "alice", Role.reporter, "ia-toi")
    bob = await joined(loa, "bob", Role.reporter, "ia-toi")
    await _to_photos(alice)
    await send_photos(alice, ref(jpeg(tmp_path / "a.jpg")))
    await alice.script("xong", "[Bỏ qua]", "[Gửi báo cáo]")
    await _to_photos(bob, activity="Pano")
    await bob.send("/myreports")
    assert "Các báo cáo gần đây của bạn" in bob.text
    assert "Pano, áp phích, tờ rơi · chưa gửi" in bob.text
    assert "Hội nghị" not in bob.text
    await alice.then("[Báo cáo của tôi]", "Hội nghị, họp dân · đang chờ duyệt")
    alices, bobs = await _reports(loa)
    await alice.press(f"Xem báo cáo #{alices.id}")
    assert "Trạng thái: đang chờ duyệt" in alice.text
    assert "đã gửi" in alice.text
    forged = Incoming(
        "test", "bob", fresh_update_id(), Kind.choice, choice=f"v1:rp:my:{alices.id}"
    )
    await bob.deliver(forged)
    assert f"Báo cáo #{alices.id} không phải báo cáo của bạn." in bob.text
    forged = Incoming(
        "test", "bob", fresh_update_id(), Kind.choice, choice=f"v1:rp:go:{alices.id}"
    )
    await bob.deliver(forged)
    assert "Bạn có một báo cáo chưa gửi" in bob.text  # his own draft, not hers
    del bobs


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("24/11", date(2026, 11, 24)),
        ("24.11.2026", date(2026, 11, 24)),
        ("1-10-26", date(2026, 10, 1)),
        ("hôm nay", date(2026, 11, 25)),
        ("Hom qua", date(2026, 11, 24)),
    ],
)
def test_typed_dates(typed: str, expected: date) -> None:
    assert parse_day(typed, date(2026, 11, 25), 60) == expected


def test_day_and_month_early_in_the_year_mean_last_december() -> None:
    assert parse_day("28/12", date(2027, 1, 3), 60) == date(2026, 12, 28)
    with pytest.raises(BadInput):
        parse_day("28/12/2027", date(2027, 1, 3), 60)
    with pytest.raises(BadInput):
        parse_day("26/11", date(2026, 11, 25), 60)  # tomorrow is not last year's 26/11


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("35", 35),
        ("1.200", 1200),
        ("1 200", 1200),
        ("35 người", 35),
        ("0", 0),
        ("3,5", None),
        ("ba mươi", None),
        ("-3", None),
    ],
)
def test_typed_counts(typed: str, expected: int | None) -> None:
    assert parse_count(typed) == expected


async def test_reporter_date_window_is_configurable(loa: Loa, clock: FrozenClock) -> None:
    reporter = await joined(loa, "reporter", Role.reporter, "ia-toi")
    await reporter.script("/report", "[Hội nghị]", "[Xã Ia Tơi]")
    old = (clock.now() - timedelta(days=59)).astimezone(loa.settings.tz)
    await reporter.send(f"{old:%d/%m/%Y}")
    assert f"Ngày: {old:%d/%m/%Y}." in reporter.text


TG_REPORTER = 6660001


async def test_a_report_from_telegram_with_buttons_an_album_and_a_location(
    settings: Settings, loa: Loa, tmp_path: Path
) -> None:
    (code,) = await invite_codes(loa, Role.reporter, "ia-dal")
    user = TG_REPORTER
    async with FakeTelegram() as tg:
        polling = channel_settings(
            settings,
            telegram_token=fake_telegram.TOKEN,
            telegram_api_base=tg.url,
            max_photo_bytes=PHOTO_LIMIT,
        )

        async def press(label: str) -> str:
            count = len(tg.sent(user))
            tg.press(user, tg.button(user, label))
            await tg.wait_sent(user, count + 1)
            return tg.texts(user)[-1]

        async def say(text: str) -> str:
            count = len(tg.sent(user))
            tg.text(user, text)
            await tg.wait_sent(user, count + 1)
            return tg.texts(user)[-1]

        async with running(polling, loa):
            assert "Chào mừng" in await say(f"/join {code}")
            assert "Đó là hoạt động gì?" in await press("Gửi báo cáo")
            await press("Ấn phẩm song ngữ")
            await press("Xã Ia Đal")
            await press("Hôm nay")
            await press("Xong")
            await say("50")
            await say("bỏ qua")
            await say("bỏ qua")
            assert "Gửi từ 1 đến 10 ảnh" in await say("Phát tờ gấp song ngữ Việt - Gia Rai ở chợ.")
            pictures = [
                jpeg(tmp_path / f"{n}.jpg", color=(n * 60, 0, 0)).read_bytes() for n in range(3)
            ]
            count = len(tg.sent(user))
            tg.photo(user, pictures[0], caption="Chợ Ia Đal", media_group_id="album-7")
            tg.photo(user, pictures[1], media_group_id="album-7")
            tg.photo(user, pictures[2], media_group_id="album-7")
            await tg.wait_sent(user, count + 1)
            assert "Đã lưu 3 ảnh. Báo cáo này có 3 ảnh (tối đa 10)." in tg.texts(user)[-1]
            assert len(tg.sent(user)) == count + 1  # one answer for the whole album
            count = len(tg.sent(user))
            tg.document(
                user, b"<html>not a picture</html>", mime="image/jpeg", file_name="anh.jpg"
            )
            await tg.wait_sent(user, count + 1)
            assert (
                "Ảnh (anh.jpg) không được thêm: tệp này không phải là ảnh." in tg.texts(user)[-1]
            )
            assert "gửi vị trí" in await press("Xong")
            count = len(tg.sent(user))
            tg.send(user, location={"latitude": 13.9, "longitude": 107.55})
            await tg.wait_sent(user, count + 1)
            assert "Đã lưu vị trí." in tg.texts(user)[-1]
            assert "Vị trí: 13.90000, 107.55000" in tg.texts(user)[-1]
            assert "Đã gửi báo cáo #" in await press("Gửi báo cáo")
    (report,) = await _reports(loa)
    assert report.status == "submitted"
    assert report.description.endswith("Chợ Ia Đal")
    media = await _media(loa, report.id)
    assert len(media) == 3
    assert {(settings.media_dir / m.path).read_bytes() for m in media} == set(pictures)
