"""The periodic report: the tally, the workbook and the draft report, read back and checked
against counts taken straight from the database; in chat, on Zalo, and on the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import aiohttp
import docx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.app import Loa
from bot.core.chat import Attachment, AttachmentKind, Reply
from bot.core.config import Settings
from bot.exports import wording, write_exports
from bot.reports.media import MediaLimits, attachment_row, open_store, store_photo
from bot.reports.summary import PeriodError, parse_period, summarize
from db.models import (
    Deadline,
    DeadlineUnit,
    Report,
    ReportMedia,
    ReportStatus,
    Role,
    Submission,
    User,
)
from db.repositories import Repos
from handlers.exports import vocabulary
from tests.fakes.runtime import channel_settings, free_port, running
from tests.fakes.zalo import TOKEN, FakeZalo
from tests.fixtures.reporting import jpeg
from tests.helpers import Chat
from tests.test_cli import run_loa

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # the conftest clock
TODAY = date(2026, 11, 25)
YEAR = (date(2025, 12, 1), date(2026, 11, 30))  # "2026" with the default window


@dataclass(frozen=True)
class Known:
    """The users of the known data set, by external id."""

    officer: str = "officer-ia-toi"
    admin: str = "admin-1"
    reporter: str = "reporter-ia-toi"


# (unit, activity, day, participants, ethnic minority, women, status, photos, description)
REPORTS = (
    ("ia-toi", "conference", date(2026, 3, 10), 40, 30, 20, "approved", 2,
     "Họp dân ở thôn 1. Khó khăn: loa của thôn bị hỏng nên phải nói to."),
    ("ia-toi", "loudspeaker", date(2026, 4, 2), 120, None, None, "approved", 0,
     "Phát thanh 3 buổi."),
    ("ia-dal", "conference", date(2026, 7, 15), 60, 45, 25, "approved", 1, "Hội nghị xã."),
    ("ia-dal", "door_to_door", date(2026, 9, 1), 12, 12, 7, "approved", 0,
     "Đến từng nhà. Đề xuất in thêm tờ gấp song ngữ."),
    ("ia-dom", "other", date(2026, 6, 6), 80, 70, 40, "approved", 1, "Chiếu phim lưu động."),
    ("ia-toi", "conference", date(2026, 10, 20), 50, 40, 20, "submitted", 0, "Chưa duyệt."),
    ("ia-toi", "printed", date(2026, 2, 1), 25, 20, 10, "rejected", 0, "Bị trả lại."),
    ("ia-dal", "printed", date(2025, 11, 20), 30, 25, 15, "approved", 0, "Kỳ trước."),
)  # fmt: skip


async def _user(repos: Repos, external_id: str, role: Role, unit: str | None) -> User:
    user = User(
        channel="test",
        external_id=external_id,
        display_name=external_id,
        language="vi",
        role=role.value,
        unit_id=unit,
        created_at=NOW,
        last_seen_at=NOW,
    )
    repos.session.add(user)
    await repos.session.flush()
    return user


@pytest.fixture
async def known(loa: Loa, tmp_path: Path) -> Known:
    """Reports of every kind of case: counted, not yet approved, rejected, out of the period;
    photos; a deadline of the year with one submission."""
    store = open_store(loa.settings)
    limits = MediaLimits.of(loa.settings)
    async with loa.db.session() as session:
        repos = Repos.of(session)
        await _user(repos, Known.officer, Role.officer, "ia-toi")
        await _user(repos, Known.admin, Role.admin, "ia-hdrai")
        reporters = {
            unit: await _user(repos, f"reporter-{unit}", Role.reporter, unit)
            for unit in ("ia-toi", "ia-dal", "ia-dom")
        }
        for n, (unit, kind, day, people, em, women, status, photos, text) in enumerate(REPORTS):
            report = Report(
                reporter_id=reporters[unit].id,
                unit_id=unit,
                activity=kind,
                activity_other="Chiếu phim" if kind == "other" else "",
                activity_date=day,
                participants=people,
                ethnic_minority=em,
                women=women,
                # The first report is a Dự án 8 talk: its topics and ages reach the workbook.
                themes=["child_marriage", "Xem mắt ở chợ phiên"] if n == 0 else [],
                young_people=40 if n == 0 else None,
                children=12 if n == 0 else None,
                description=text,
                status=status,
                created_at=NOW,
                updated_at=NOW,
                submitted_at=NOW,
            )
            session.add(report)
            await session.flush()
            for p in range(photos):
                path = jpeg(tmp_path / f"r{n}-{p}.jpg", color=(40 * n % 255, 90, 30 * p))
                stored = store_photo(store, path, limits)
                session.add(attachment_row(stored, report.id, at=NOW))
        deadline = Deadline(
            key="adhoc:test", title="Báo cáo năm 2026", due_date=date(2026, 12, 10), created_at=NOW
        )
        session.add(deadline)
        await session.flush()
        session.add_all(
            DeadlineUnit(deadline_id=deadline.id, unit_id=u) for u in ("ia-toi", "ia-dal")
        )
        session.add(
            Submission(
                deadline_id=deadline.id,
                unit_id="ia-toi",
                via="chat",
                note="Đề nghị bổ sung kinh phí in tài liệu.",
                at=NOW,
            )
        )
    return Known()


async def counted(
    loa: Loa, *, units: set[str] | None = None, activity: str | None = None
) -> dict[str, int]:
    """Approved reports of the year, counted by SQL (not by the code under test)."""
    conditions = [
        Report.status == ReportStatus.approved.value,
        Report.activity_date >= YEAR[0],
        Report.activity_date <= YEAR[1],
    ]
    if units is not None:
        conditions.append(Report.unit_id.in_(units))
    if activity is not None:
        conditions.append(Report.activity == activity)
    stmt = select(
        func.count(),
        func.coalesce(func.sum(Report.participants), 0),
        func.coalesce(func.sum(Report.ethnic_minority), 0),
        func.coalesce(func.sum(Report.women), 0),
    ).where(*conditions)
    async with loa.db.session() as session:
        row = (await session.execute(stmt)).one()
    return dict(
        zip(("reports", "participants", "ethnic_minority", "women"), map(int, row), strict=True)
    )


async def build(loa: Loa, out: Path, scope: str | None = None) -> list[Path]:
    """Both files of "2026", as `loa export` writes them."""
    period = parse_period("2026", loa.settings)
    async with loa.db.session() as session:
        summary = await summarize(
            Repos.of(session), loa.settings, period, scope=scope, today=TODAY
        )
    words = wording(loa.settings.locales_dir)
    names = vocabulary(loa.services.catalogs)
    return write_exports(summary, ("xlsx", "docx"), out, names, words, TODAY)


# --- periods ---------------------------------------------------------------------------------


def test_periods_use_the_configured_windows(settings: Settings) -> None:
    assert (p := parse_period("2026-H1", settings)).start == date(2025, 12, 1)
    assert p.end == date(2026, 5, 31)
    year = parse_period("2026", settings)
    assert (year.start, year.end) == YEAR
    custom = parse_period("2026-01-01..2026-03-31", settings)
    assert (custom.start, custom.end, custom.kind) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
        "range",
    )
    other = settings.model_copy(update={"report_period_year": "01-01..12-31"})
    assert parse_period("2026", other).start == date(2026, 1, 1)
    for wrong in ("2026-H3", "2026-02-30..2026-03-01", "2026-05-01..2026-04-01", "last year"):
        with pytest.raises(PeriodError):
            parse_period(wrong, settings)
    with pytest.raises(ValueError, match=r"12-01\.\.05-31"):
        Settings(_env_file=None, report_period_h1="June")  # type: ignore[call-arg]


# --- the files -------------------------------------------------------------------------------


async def test_workbook_figures_equal_the_database(loa: Loa, known: Known, tmp_path: Path) -> None:
    xlsx, _docx = await build(loa, tmp_path)
    book = load_workbook(xlsx)
    assert book.sheetnames == ["Báo cáo", "Tổng hợp", "Hạn báo cáo"]
    reports, summary, deadlines = (book[name] for name in book.sheetnames)
    total = await counted(loa)
    assert total == {"reports": 5, "participants": 312, "ethnic_minority": 157, "women": 92}
    rows = list(reports.iter_rows(min_row=2, values_only=True))
    assert len(rows) == total["reports"]
    assert reports.freeze_panes == "A2" and summary.freeze_panes == "A2"
    first = reports[2]
    assert isinstance(first[1].value, datetime) and first[1].number_format == "DD/MM/YYYY"
    assert first[1].value.date() == date(2026, 3, 10)
    assert all(isinstance(row[6], int) for row in rows)  # participants are numbers
    assert rows[0][14] == 2 and rows[0][15].count(".jpg") == 2  # photo count and files
    assert reports.column_dimensions["M"].width >= 40  # descriptions are readable
    # Dự án 8 topics (labels, an operator's own words as typed) and the age groups.
    assert rows[0][9:12] == ("Tảo hôn; Xem mắt ở chợ phiên", 40, 12)
    assert all(row[9:12] == (None, None, None) for row in rows[1:])
    # The summary: unit × activity, each count from SQL, and the totals row.
    header = [cell.value for cell in summary[1]]
    table = {
        row[0]: dict(zip(header, row, strict=True))
        for row in summary.iter_rows(min_row=2, values_only=True)
    }
    names = vocabulary(loa.services.catalogs).activities
    for unit, name in (("ia-toi", "Xã Ia Tơi"), ("ia-dal", "Xã Ia Đal"), ("ia-dom", "Xã Ia Dom")):
        for code, label in names.items():
            if label in header:
                expected = (await counted(loa, units={unit}, activity=code))["reports"]
                assert (table[name][label] or 0) == expected, (unit, code)
        unit_total = await counted(loa, units={unit})
        assert table[name]["Tổng số hoạt động"] == unit_total["reports"]
        assert table[name]["Lượt người tham dự"] == unit_total["participants"]
    assert table["Tổng cộng"]["Tổng số hoạt động"] == total["reports"]
    assert table["Tổng cộng"]["Trong đó DTTS"] == total["ethnic_minority"]
    assert table["Tổng cộng"]["Phụ nữ"] == total["women"]
    assert table["Phòng Lao động - Thương binh và Xã hội"]["Tổng số hoạt động"] == 0
    # Deadlines of the period: one submitted, one not yet due, with typed dates.
    states = {row[2]: row for row in deadlines.iter_rows(min_row=2, values_only=True)}
    assert states["Xã Ia Tơi"][3] == "Đã nộp" and isinstance(states["Xã Ia Tơi"][4], datetime)
    assert states["Xã Ia Đal"][3] == "Chưa đến hạn" and states["Xã Ia Đal"][4] is None
    assert isinstance(states["Xã Ia Đal"][1], datetime)


def _text(document: docx.document.Document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


async def test_draft_report_has_the_decree_layout_and_the_database_figures(
    loa: Loa, known: Known, tmp_path: Path
) -> None:
    _xlsx, path = await build(loa, tmp_path)
    document = docx.Document(str(path))
    header = [p.text for cell in document.tables[0]._cells for p in cell.paragraphs]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header
    assert "Độc lập - Tự do - Hạnh phúc" in header
    assert "ỦY BAN NHÂN DÂN" in header and "HUYỆN IA H'DRAI" in header
    assert "Số:        /BC-UBND" in header
    assert "Ia H'Drai, ngày 25 tháng 11 năm 2026" in header
    body = _text(document)
    assert "BÁO CÁO" in body and "năm 2026" in body
    assert (
        "I. TÌNH HÌNH CHUNG" in body and "III. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ" in body
    )
    # Difficulties and proposals quoted as written, with where they come from.
    assert "“Khó khăn: loa của thôn bị hỏng nên phải nói to.”" in body
    assert "“Đề xuất in thêm tờ gấp song ngữ.”" in body
    assert "“Đề nghị bổ sung kinh phí in tài liệu.”" in body
    assert "Bị trả lại" not in body  # a rejected report says nothing here
    # The table: each kind's figures equal SQL counts; the total row too.
    table = document.tables[1]
    names = vocabulary(loa.services.catalogs).activities
    rows = {row.cells[1].text: [c.text for c in row.cells] for row in table.rows[1:]}
    assert set(rows) == {
        names["conference"],
        names["loudspeaker"],
        names["door_to_door"],
        names["other"],
        "Tổng cộng",
    }
    for code, label in names.items():
        if label in rows:
            expected = await counted(loa, activity=code)
            assert rows[label][2:5] == [
                str(expected["reports"]),
                str(expected["participants"]),
                str(expected["ethnic_minority"]),
            ]
            assert rows[label][6] == str(expected["women"])
    total = await counted(loa)
    assert rows["Tổng cộng"][2:5] == [
        str(total["reports"]),
        str(total["participants"]),
        str(total["ethnic_minority"]),
    ]
    assert rows[names["loudspeaker"]][5] == ""  # no ethnic-minority figure recorded: no share
    assert rows[names["conference"]][5] == "75,0"  # 75 of the 100 people of reports that said
    # The chart and three photos (two reports of three with photos, one each... up to four).
    assert len(document.inline_shapes) == 1 + 3
    assert "Ảnh 1. Hội nghị, họp dân tại Xã Ia Tơi, ngày 10/03/2026" in body
    # A draft by its metadata, not by its body.
    properties = document.core_properties
    assert properties.category == "Dự thảo" and "draft" in properties.keywords
    assert "DỰ THẢO" in properties.comments and "dự thảo" not in body.lower()
    # A4, the decree's margins, Times New Roman 13–14.
    section = document.sections[0]
    sizes = (section.page_width, section.page_height, section.left_margin, section.right_margin)
    assert [round(length.mm) for length in (*sizes, section.top_margin)] == [210, 297, 30, 15, 20]
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt == 14


async def test_an_officers_files_cover_their_unit_only(
    loa: Loa, known: Known, tmp_path: Path
) -> None:
    xlsx, path = await build(loa, tmp_path, scope="ia-toi")
    rows = list(load_workbook(xlsx)["Báo cáo"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == (await counted(loa, units={"ia-toi"}))["reports"] == 2
    header = [
        p.text for cell in docx.Document(str(path)).tables[0]._cells for p in cell.paragraphs
    ]
    assert "XÃ IA TƠI" in header and any(line.startswith("Ia Tơi, ngày") for line in header)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="needs libreoffice-writer-nogui")
async def test_the_draft_opens_in_libreoffice(loa: Loa, known: Known, tmp_path: Path) -> None:
    from pypdf import PdfReader

    _xlsx, path = await build(loa, tmp_path)
    subprocess.run(  # noqa: S603, ASYNC221  (the test waits for LibreOffice anyway)
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo'}",  # noqa: S607
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    reader = PdfReader(tmp_path / "pdf" / path.with_suffix(".pdf").name)
    assert 2 <= len(reader.pages) <= 6
    text = " ".join((page.extract_text() or "") for page in reader.pages)
    flat = " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
    assert "Độc lập - Tự do - Hạnh phúc" in flat
    assert "Hình thức truyền thông" in flat and "Tổng cộng" in flat


# --- in chat ---------------------------------------------------------------------------------


async def test_officer_gets_the_tally_and_both_files(loa: Loa, known: Known) -> None:
    officer = Chat(loa.engine, user=Known.officer)
    await officer.then("/export", "Kỳ báo cáo nào?")
    await officer.press("Năm 2026")
    expected = await counted(loa, units={"ia-toi"})
    assert f"Số hoạt động: {expected['reports']}" in officer.text
    assert f"Lượt người tham dự: {expected['participants']}" in officer.text
    files = [r.attachment for r in officer.last if r.attachment is not None]
    assert [f.path.suffix for f in files] == [".xlsx", ".docx"]
    assert all(f.kind is AttachmentKind.document and f.path.is_file() for f in files)
    assert files[0].path.is_relative_to(loa.settings.media_dir.resolve()) or files[
        0
    ].path.is_relative_to(loa.settings.media_dir)


async def test_admin_tally_typed_period_and_an_empty_one(loa: Loa, known: Known) -> None:
    admin = Chat(loa.engine, user=Known.admin)
    await admin.send("/summary")
    await admin.send("2026")
    total = await counted(loa)
    assert f"Số hoạt động: {total['reports']}" in admin.text
    assert f"Lượt người dân tộc thiểu số: {total['ethnic_minority']}" in admin.text
    assert not any(r.attachment for r in admin.last)
    await admin.then("/summary năm ngoái", "Tôi chưa đọc được kỳ báo cáo này")
    await admin.then("/export 2024", "Chưa có báo cáo nào của Huyện Ia H'Drai được duyệt")
    assert not any(r.attachment for r in admin.last)


async def test_reporters_and_villagers_cannot_export(loa: Loa, known: Known) -> None:
    for user in (Known.reporter, "villager-1"):
        chat = Chat(loa.engine, user=user)
        await chat.send("/export 2026")
        assert not any(r.attachment for r in chat.last)
        assert "Số hoạt động" not in chat.text


async def test_zalo_users_are_told_files_come_as_links(loa: Loa, known: Known) -> None:
    async with loa.db.session() as session:
        user = await Repos.of(session).users.find("test", Known.officer)
        assert user is not None
        user.channel = "zalo"
    officer = Chat(loa.engine, user=Known.officer, channel="zalo")
    await officer.send("/export")
    await officer.send(officer.number("Năm 2026"))  # Zalo has no buttons: the number is typed
    assert "Số hoạt động: 2" in officer.text
    # This Loa has no PUBLIC_BASE_URL: no link can be made, and the officer hears so.
    assert "chưa có địa chỉ công khai" in officer.text


async def test_zalo_gets_a_document_as_a_link_that_expires(
    settings: Settings, loa: Loa, tmp_path: Path
) -> None:
    port = free_port()
    config = channel_settings(
        settings,
        zalo_token=TOKEN,
        webhook_listen=f"127.0.0.1:{port}",
        zalo_webhook_secret="zalo-webhook-secret-0042-0123456789abc",
        public_base_url=f"http://127.0.0.1:{port}",
        document_link_hours=1,
    )
    document = settings.media_dir / "exports" / "x" / "bao-cao.xlsx"
    document.parent.mkdir(parents=True)
    document.write_bytes(b"PK workbook")
    reply = Reply(
        "Bảng tính", attachment=Attachment(AttachmentKind.document, document, "bao-cao.xlsx")
    )
    async with FakeZalo() as zl:
        config = config.model_copy(update={"zalo_api_base": zl.url})
        async with running(config, loa) as runtime:
            sender = runtime.channels[0].sender  # type: ignore[attr-defined]
            assert (await sender.deliver("6ede9afa66b88fe6d6a9", reply)).status == "sent"
            link = zl.texts("6ede9afa66b88fe6d6a9")[-1].splitlines()[-1]
            assert link.endswith("/exports/x/bao-cao.xlsx")
            # The token is "<expiry>.<mac>" (bot/core/signing.py): the expiry is signed.
            token = link.split("/media/", 1)[1].split("/", 1)[0]
            expires = int(token.split(".", 1)[0])
            assert 3500 < expires - datetime.now(UTC).timestamp() <= 3601  # rounded up
            async with aiohttp.ClientSession() as http:
                async with http.get(link) as response:
                    assert response.status == 200 and await response.read() == b"PK workbook"
                for forged in (
                    link.replace(f"{expires}.", f"{expires + 1}."),
                    link.replace(f"/{token}/", "/"),
                    link.replace(f"{expires}.", "1."),
                ):
                    async with http.get(forged) as response:
                        assert response.status == 404, forged
            expired = sender.files.url_for(document, valid_for=-1)
            async with aiohttp.ClientSession() as http, http.get(expired) as response:
                assert response.status == 404


# --- the command line and the demo data --------------------------------------------------------


async def test_cli_summary_export_and_the_empty_period(
    loa: Loa, known: Known, database_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": database_url, "MEDIA_DIR": str(loa.settings.media_dir)}
    result = run_loa(*["reports", "summary", "--period", "2026", "--json"], env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    total = await counted(loa)
    assert {k: data[k] for k in total} == total
    assert data["period"] == {"label": "2026", "start": "2025-12-01", "end": "2026-11-30"}
    assert {row["unit"]: row["reports"] for row in data["by_unit"]} == {
        "ia-toi": 2,
        "ia-dal": 2,
        "ia-dom": 1,
    }
    out = tmp_path / "out"
    result = run_loa(
        "export",
        "--period",
        "2026",
        "--format",
        "xlsx,docx",
        "--out",
        str(out),
        "--unit",
        "Ia Đal",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "bao-cao-ia-dal-2026.docx",
        "bao-cao-ia-dal-2026.xlsx",
    ]
    result = run_loa("export", "--period", "2024", "--out", str(out), env=env)
    assert result.returncode == 1 and "no approved reports" in result.stderr
    result = run_loa("export", "--period", "2026", "--format", "pdf", "--out", str(out), env=env)
    assert result.returncode == 2 and "formats are xlsx, docx" in result.stderr


async def test_demo_seed_and_clear_touch_nothing_else(
    loa: Loa, known: Known, database_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": database_url, "MEDIA_DIR": str(loa.settings.media_dir)}
    before = await counted(loa)
    seeded = run_loa(*["demo", "seed", "--reports", "40"], env=env)
    assert seeded.returncode == 0, seeded.stderr
    assert "40 reports" in seeded.stdout and "periods with approved demo reports" in seeded.stdout
    async with loa.db.session() as session:
        demo = select(func.count()).select_from(Report).join(User, User.id == Report.reporter_id)
        assert (await session.execute(demo.where(User.channel == "demo"))).scalar_one() == 40
    again = run_loa("demo", "seed", env=env)
    assert again.returncode == 1 and "loa demo clear" in again.stderr
    out = tmp_path / "out"
    exported = run_loa("export", "--period", "2026", "--out", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    cleared = run_loa("demo", "clear", env=env)
    assert cleared.returncode == 0, cleared.stderr
    assert await counted(loa) == before
    async with loa.db.session() as session:
        users = (
            await session.execute(select(User.channel, func.count()).group_by(User.channel))
        ).all()
        deadlines = (await session.execute(select(Deadline.key))).scalars().all()
        photos = (await session.execute(select(ReportMedia.path))).scalars().all()
    assert dict(users) == {"test": 5}
    assert deadlines == ["adhoc:test"]
    stored = {
        p.relative_to(loa.settings.media_dir).as_posix()
        for p in loa.settings.media_dir.rglob("*.jpg")
    }
    assert set(photos) <= stored
    assert len(
        [p for p in stored if not p.startswith("exports/") and not p.endswith(".thumb.jpg")]
    ) == len(photos)


async def test_console_officer_sees_where_the_files_are(
    loa: Loa, known: Known, database_url: str
) -> None:
    env = {"DATABASE_URL": database_url, "MEDIA_DIR": str(loa.settings.media_dir)}
    made = run_loa(
        *["invite", "create", "--role", "officer", "--unit", "ia-dal", "--json"], env=env
    )
    (code,) = json.loads(made.stdout)["codes"]
    session = run_loa("run", stdin=f"/start\n1\n/join {code}\n/export 2026\n", env=env)
    assert session.returncode == 0, session.stderr
    assert "Số hoạt động: 2" in session.stdout
    shown = [line for line in session.stdout.splitlines() if line.startswith("[document: ")]
    paths = [Path(line.removeprefix("[document: ").rstrip("]")) for line in shown]
    assert [p.suffix for p in paths] == [".xlsx", ".docx"] and all(p.is_file() for p in paths)
