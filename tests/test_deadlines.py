"""Deadlines in chat: officers mark reports submitted (with a file, a note, or neither), the
board shows who is late, admins record submissions and ask for ad-hoc reports."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.app import Loa
from bot.channels.console import ConsoleChannel
from bot.core.chat import Incoming, Kind, MediaRef
from bot.core.clock import FrozenClock
from bot.reports.documents import clean_name, sniff
from bot.reports.media import MediaProblem, MediaRejected
from db.models import Deadline, Role, Submission
from tests.fixtures.reporting import invite_codes
from tests.helpers import Chat
from tests.test_planner import person

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
WORD_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def docx(content_type: str = WORD_TYPE) -> bytes:
    """A minimal Word document (or, with another main type, e.g. a macro-enabled one)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/word/document.xml" ContentType="{content_type}"/>'
            "</Types>",
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def xlsx() -> bytes:
    """A real Excel workbook."""
    buffer = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "Báo cáo"  # type: ignore[index]
    book.save(buffer)
    return buffer.getvalue()


def document(path: Path, data: bytes, **extra: object) -> MediaRef:
    """A document as a channel hands it over, downloaded to `path`."""
    path.write_bytes(data)
    fields: dict[str, object] = {
        "path": str(path),
        "size": len(data),
        "mime": "application/octet-stream",
        "file_name": path.name,
    }
    fields.update(extra)
    return MediaRef(f"file-{path.name}", **fields)  # type: ignore[arg-type]


async def submissions(loa: Loa) -> list[Submission]:
    """Every submission."""
    async with loa.db.session() as session:
        return list((await session.execute(select(Submission).order_by(Submission.id))).scalars())


async def adhoc_deadline(loa: Loa) -> Deadline:
    """The one ad-hoc deadline created."""
    async with loa.db.session() as session:
        query = select(Deadline).where(Deadline.rule_id.is_(None))
        return (await session.execute(query)).scalar_one()


@pytest.fixture
def june(clock: FrozenClock) -> FrozenClock:
    """5 June 2027, 10:00: the six-month deadline is open, its last day is the 9th."""
    clock.set(datetime(2027, 6, 5, 10, tzinfo=TZ))
    return clock


# --- documents --------------------------------------------------------------------------------


def test_documents_are_recognised_by_their_bytes() -> None:
    assert sniff(PDF) == "pdf"
    assert sniff(docx()) == "docx"
    assert sniff(xlsx()) == "xlsx"
    for data, problem in [
        (b"\x89PNG\r\n\x1a\n....", MediaProblem.unsupported),
        (PDF[:-7], MediaProblem.broken),  # cut off in transit
        (docx()[:60], MediaProblem.broken),
        (
            docx("application/vnd.ms-word.document.macroEnabled.main+xml"),
            MediaProblem.unsupported,
        ),
        (b"PK\x03\x04" + b"\0" * 100, MediaProblem.broken),
    ]:
        with pytest.raises(MediaRejected) as caught:
            sniff(data)
        assert caught.value.problem is problem
    assert clean_name("C:\\Users\\x\\Báo cáo\x00.pdf", "pdf") == "Báo cáo.pdf"
    assert clean_name("", "xlsx") == "report.xlsx"
    assert len(clean_name("a" * 300 + ".docx", "docx")) == 200


# --- officers ---------------------------------------------------------------------------------


async def test_officer_submits_with_a_document_after_wrong_tries(
    loa: Loa, june: FrozenClock, tmp_path: Path
) -> None:
    await person(loa, "dom", Role.officer, "ia-dom")
    chat = Chat(loa.engine, user="dom")
    await chat.send("/menu")
    await chat.press("Hạn nộp báo cáo")
    assert "Báo cáo 6 tháng đầu năm 2027 — nộp trước ngày 10/06/2027" in chat.text
    assert "Xã Ia Dom: chưa nộp, còn 4 ngày." in chat.text
    await chat.press("Xác nhận đã nộp “Báo cáo 6 tháng")
    assert "Bạn hãy gửi tệp báo cáo (PDF, Word .docx hoặc Excel .xlsx, tối đa 20 MB)" in chat.text

    await chat.event(Kind.document, media=(document(tmp_path / "anh.png", b"\x89PNG\r\n\x1a\n"),))
    assert "Tôi chỉ nhận tệp PDF, Word (.docx) hoặc Excel (.xlsx)" in chat.text
    big = document(tmp_path / "big.pdf", PDF, size=loa.settings.max_document_bytes + 1)
    await chat.event(Kind.document, media=(big,))
    assert "Tệp quá lớn: tối đa 20 MB" in chat.text
    await chat.event(Kind.document, media=(MediaRef("lost", problem="download_failed"),))
    assert "Tôi chưa nhận được tệp đó" in chat.text
    await chat.photo()
    assert "Bạn hãy gửi báo cáo dưới dạng tệp" in chat.text

    await chat.event(Kind.document, media=(document(tmp_path / "BC 6 thang.pdf", PDF),))
    assert "Xác nhận Xã Ia Dom đã nộp Báo cáo 6 tháng đầu năm 2027?" in chat.text
    assert "Tệp: BC 6 thang.pdf (1 KB)" in chat.text
    await chat.send("Số 15/BC-UBND")  # a note too
    assert "Ghi chú: Số 15/BC-UBND" in chat.text
    await chat.then("[Xác nhận]", "Đã ghi nhận: Xã Ia Dom đã nộp Báo cáo 6 tháng đầu năm 2027")

    (saved,) = await submissions(loa)
    assert (saved.unit_id, saved.via, saved.note) == ("ia-dom", "chat", "Số 15/BC-UBND")
    assert saved.document_name == "BC 6 thang.pdf" and saved.document_mime == "application/pdf"
    assert saved.document_path is not None and saved.document_sha256 is not None
    assert saved.document_path == (
        f"{saved.document_sha256[:2]}/{saved.document_sha256[2:4]}/{saved.document_sha256}.pdf"
    )
    assert (loa.settings.media_dir / saved.document_path).read_bytes() == PDF

    await chat.then("/status", "Xã Ia Dom: đã nộp ngày 05/06/2027 ✅")
    await chat.then("/submit", "Đơn vị của bạn không có hạn báo cáo nào đang mở cần xác nhận.")


async def test_console_sends_the_report_file_with_file_path(
    loa: Loa, june: FrozenClock, tmp_path: Path
) -> None:
    (code,) = await invite_codes(loa, Role.officer, "ia-dom")
    out = io.StringIO()
    console = ConsoleChannel(loa.engine.handle, out, user="dom")
    assert "Bạn đã là cán bộ của Xã Ia Dom" in await console.send(f"/join {code}")
    await console.send("/submit")
    await console.send("1")  # the six-month report, the only one open
    assert "Bạn hãy gửi tệp báo cáo" in out.getvalue()
    await console.send("/file /no/such/report.pdf")
    assert "(console) no such file: /no/such/report.pdf" in out.getvalue()
    report = tmp_path / "BC 6 thang.pdf"
    report.write_bytes(PDF)
    shown = await console.send(f"/file {report}")
    assert "Xác nhận Xã Ia Dom đã nộp Báo cáo 6 tháng đầu năm 2027?" in shown
    assert "Tệp: BC 6 thang.pdf (1 KB)" in shown
    assert "  1. ✅ Xác nhận" in shown
    assert "Đã ghi nhận: Xã Ia Dom đã nộp" in await console.send("1")
    (saved,) = await submissions(loa)
    assert saved.document_name == "BC 6 thang.pdf" and saved.document_mime == "application/pdf"


async def test_stale_and_foreign_buttons_change_nothing(loa: Loa, june: FrozenClock) -> None:
    await person(loa, "dom", Role.officer, "ia-dom")
    await person(loa, "dal", Role.officer, "ia-dal")
    dom = Chat(loa.engine, user="dom")
    await dom.script("/submit", "[Báo cáo 6 tháng]", "[không kèm tệp]")
    assert "Không kèm tệp, không có ghi chú." in dom.text
    confirm = dom.choice("Xác nhận")
    await dom.send("/cancel")
    stale = await dom.deliver(Incoming("test", "dom", "stale-1", Kind.choice, choice=confirm))
    assert "Nút này đã cũ" in stale[0].text
    assert await submissions(loa) == []
    # A deadline id that does not exist, and one's own unit not owing a report.
    dal = Chat(loa.engine, user="dal")
    await dal.deliver(Incoming("test", "dal", "x-1", Kind.choice, choice="v1:dls:999"))
    assert "Hạn báo cáo này đã đóng hoặc không còn" in dal.text


async def test_officer_without_unit_and_villagers(loa: Loa, june: FrozenClock) -> None:
    await person(loa, "loose", Role.officer, None)
    loose = Chat(loa.engine, user="loose")
    await loose.then("/status", "Tài khoản của bạn chưa gắn với đơn vị nào")
    await loose.then("/submit", "Tài khoản của bạn chưa gắn với đơn vị nào")
    villager = Chat(loa.engine, user="villager")
    await villager.send("/start")
    await villager.press("Tiếng Việt")
    assert "Hạn nộp báo cáo" not in [c.label for c in villager.choices]
    for command in ("/status", "/submit", "/record", "/deadline"):
        await villager.send(command)
        assert "Xin lỗi" in villager.text, command


async def test_district_officer_sees_the_units_under_them(loa: Loa, june: FrozenClock) -> None:
    await person(loa, "district", Role.officer, "ia-hdrai")
    june.set(datetime(2027, 6, 11, 9, tzinfo=TZ))
    chat = Chat(loa.engine, user="district")
    await chat.then("/status", "Đã nộp: 0/19 · chưa đến hạn: 0 · quá hạn: 19")
    # Only the district has an officer: the units under it are late and nobody is reminded.
    assert (
        "⚠️ Chưa có cán bộ đăng ký nên không ai được nhắc: Xã Ia Tơi, Xã Ia Đal, Xã Ia Dom"
        in chat.text
    )
    assert "/invite" not in chat.text  # officers cannot invite: no advice they cannot follow


# --- admins -----------------------------------------------------------------------------------


async def test_admin_board_and_recording_a_submission(
    loa: Loa, june: FrozenClock, tmp_path: Path
) -> None:
    await person(loa, "admin", Role.admin, "phong-ldtbxh")
    await person(loa, "toi", Role.officer, "ia-toi")
    toi = Chat(loa.engine, user="toi")
    await toi.send("/submit")
    await toi.press("Báo cáo 6 tháng")
    await toi.event(Kind.document, media=(document(tmp_path / "bc.xlsx", xlsx()),))
    await toi.press("Xác nhận")

    june.set(datetime(2027, 6, 10, 9, tzinfo=TZ))  # the last day has passed
    admin = Chat(loa.engine, user="admin")
    await admin.send("/status")
    assert (
        "Báo cáo 6 tháng đầu năm 2027 — nộp trước ngày 10/06/2027 (chậm nhất ngày 09/06/2027)"
        in (admin.text)
    )
    assert "Đã nộp: 1/19 · chưa đến hạn: 0 · quá hạn: 18" in admin.text
    unheard, late = admin.text.split("\n")[4:7:2]
    assert unheard.startswith(
        "⚠️ Chưa có cán bộ đăng ký nên không ai được nhắc: Xã Ia Đal, Xã Ia Dom"
    )
    assert "Xã Ia Tơi" not in unheard and "Phòng Lao động" not in unheard
    assert "Hãy mời một cán bộ cho từng đơn vị này bằng /invite." in admin.text
    assert late == "Quá hạn: Phòng Lao động - Thương binh và Xã hội"  # the admin's own unit

    await admin.press("Ghi nhận báo cáo đã nộp")
    await admin.press("Báo cáo 6 tháng đầu năm 2027 (18 chưa nộp)")
    assert "Xã Ia Tơi" not in [c.label for c in admin.choices]
    await admin.then("x", "Bạn hãy chọn một mục ở trên")
    await admin.then("[Xã Ia Dom]", "Ghi nhận Báo cáo 6 tháng đầu năm 2027 cho Xã Ia Dom.")
    await admin.send("Nhận bản giấy qua bưu điện ngày 09/6")
    await admin.then("[Xác nhận]", "Đã ghi nhận: Xã Ia Dom đã nộp")
    saved = {s.unit_id: s for s in await submissions(loa)}
    assert saved["ia-dom"].via == "recorded" and saved["ia-toi"].via == "chat"
    assert saved["ia-toi"].document_name == "bc.xlsx"
    await admin.then("/status", "Đã nộp: 2/19 · chưa đến hạn: 0 · quá hạn: 17")


async def test_admin_creates_an_adhoc_deadline_for_all_units(loa: Loa, june: FrozenClock) -> None:
    await person(loa, "admin", Role.admin, None)
    admin = Chat(loa.engine, user="admin")
    await admin.script("/status", "[Yêu cầu báo cáo]", "ab")
    assert "từ 3 đến 200 ký tự" in admin.text
    await admin.send("Báo cáo   kết quả  tuyên truyền quý II")
    for wrong, message in [
        ("mai", "theo dạng ngày/tháng hoặc ngày/tháng/năm, ví dụ 05/07 hoặc 05/07/2027"),
        ("31/02/2027", "theo dạng ngày/tháng hoặc ngày/tháng/năm"),
        ("06/06/2027", "ít nhất hai ngày"),
        ("01/01/2029", "trong vòng một năm"),
    ]:
        await admin.send(wrong)
        assert message in admin.text, wrong
    await admin.send("30.06.2027")
    await admin.press("Tất cả đơn vị phải báo cáo (19)")
    assert "Đơn vị (19): Xã Ia Tơi, Xã Ia Đal, Xã Ia Dom" in admin.text
    await admin.press("Tạo")
    assert "Đã tạo: Báo cáo kết quả tuyên truyền quý II, hạn nộp trước ngày 30/06/2027" in (
        admin.text
    )
    created = await adhoc_deadline(loa)
    assert created.title == "Báo cáo kết quả tuyên truyền quý II"
    assert created.key.startswith("adhoc:") and created.created_by is not None
    await admin.send("/status")
    assert admin.text.count("Đã nộp: 0/19") == 2  # the six-month report and the new one
    # An officer cannot create one, and /cancel leaves any step.
    await person(loa, "dom", Role.officer, "ia-dom")
    dom = Chat(loa.engine, user="dom")
    await dom.then("/deadline", "Xin lỗi")
    await admin.send("/deadline")
    await admin.then("/cancel", "Menu chính")


async def test_adhoc_deadline_by_typing_where_nothing_can_be_pressed(
    loa: Loa, june: FrozenClock
) -> None:
    """On Zalo and in the console: "20/12" as the due day, units as "1, 3-4" in one message,
    and a warning before creating when nobody would hear of it."""
    await person(loa, "admin", Role.admin, None)
    await person(loa, "toi", Role.officer, "ia-toi")
    admin = Chat(loa.engine, user="admin")
    await admin.send("/deadline")
    await admin.then("Báo cáo nhanh tình hình tảo hôn", "theo dạng ngày/tháng hoặc ngày/tháng/năm")
    await admin.send("20/12")  # no year: the next 20 December
    await admin.send(admin.number("Chọn đơn vị"))
    assert "Hoặc gõ số thứ tự các đơn vị trong một tin nhắn, ví dụ: 1, 2, 5-7." in admin.text
    listed = [c.label for c in admin.choices]
    assert listed[:4] == ["☐ Xã Ia Tơi", "☐ Xã Ia Đal", "☐ Xã Ia Dom", listed[3]]
    for wrong in ("1, 2, 40", "0", "mot, hai", "4-2"):
        await admin.send(wrong)
        assert "Bạn hãy gõ số thứ tự của các đơn vị, từ 1 đến 19" in admin.text, wrong
    await admin.send("1, 3-4")
    lines = admin.text.split("\n")
    assert "Nộp trước ngày 20/12/2027 (chậm nhất ngày 19/12/2027)." in lines
    department = listed[3].removeprefix("☐ ")
    assert f"Đơn vị (3): Xã Ia Tơi, Xã Ia Dom, {department}" in lines
    assert (
        "⚠️ 2 đơn vị chưa có cán bộ đăng ký nên ở đó sẽ không ai được báo hay nhắc: "
        f"Xã Ia Dom, {department}. Bạn vẫn có thể tạo hạn này"
    ) in admin.text
    await admin.press("Tạo")
    assert "hạn nộp trước ngày 20/12/2027, cho 3 đơn vị" in admin.text
    assert "2 đơn vị trong số này chưa có cán bộ: ở đó không ai được báo." in admin.text
    created = await adhoc_deadline(loa)
    assert created.due_date.isoformat() == "2027-12-20"

    # A single number still ticks one unit, as a press does; every unit with an officer: no
    # warning.
    await admin.script("/deadline", "Báo cáo quý", "1/7/2027")
    await admin.send(admin.number("Chọn đơn vị"))
    await admin.send("1")
    assert "☑ Xã Ia Tơi" in [c.label for c in admin.choices]
    await admin.send(admin.number("Xong"))
    assert "Đơn vị (1): Xã Ia Tơi" in admin.text
    assert "⚠️" not in admin.text
