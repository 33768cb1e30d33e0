"""Export downloads and the dashboard over HTTP: the same files and figures as `loa export`,
limited to the officer's units."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
from openpyxl import load_workbook

from bot.app import Loa
from db.models import Role
from tests.test_exports import Known, build, counted, known
from tests.web.desk import DeskSite

__all__ = ["known"]  # the data set of the export tests, as a fixture here too

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def cells(data: bytes | Path) -> list[list[object]]:
    """Every value of every sheet of a workbook."""
    book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    return [[cell for row in sheet.iter_rows(values_only=True) for cell in row] for sheet in book]


def paragraphs(data: bytes | Path) -> list[str]:
    """The paragraphs of a document."""
    document = docx.Document(io.BytesIO(data) if isinstance(data, bytes) else str(data))
    return [paragraph.text for paragraph in document.paragraphs]


async def test_an_officer_downloads_the_files_of_their_unit(
    desk: DeskSite, loa: Loa, known: Known, tmp_path: Path
) -> None:
    officer = await desk.person(Role.officer, "ia-toi")
    xlsx, document = await build(loa, tmp_path / "cli", scope="ia-toi")  # as `loa export` does
    async with desk.client(officer) as client:
        status, page = await client.get("/desk/exports")
        assert status == 200
        assert 'value="ia-toi"' in page and 'value="ia-dal"' not in page
        query = "period=2026&scope=ia-toi"
        status, kind, body = await client.get_bytes(f"/desk/exports/file?{query}&format=xlsx")
        assert (status, kind) == (200, XLSX)
        assert cells(body) == cells(xlsx)
        status, kind, body = await client.get_bytes(f"/desk/exports/file?{query}&format=docx")
        assert (status, kind) == (200, DOCX)
        assert paragraphs(body) == paragraphs(document)
        # Another commune's scope in the address gives the officer's own files, never theirs.
        async with client.session.get(
            "/desk/exports/file?period=2026&scope=ia-dal&format=xlsx"
        ) as response:
            assert response.status == 200
            assert 'filename="bao-cao-ia-toi-2026.xlsx"' in response.headers["Content-Disposition"]
        # A period without approved reports says so, and gives no file.
        status, page = await client.get("/desk/exports/file?period=2024&format=xlsx")
        assert status == 404 and "Chưa có báo cáo nào được duyệt của Xã Ia Tơi" in page
        status, page = await client.get("/desk/exports/file?period=2026-13-01..x&format=xlsx")
        assert status == 422 and "Không đọc được kỳ báo cáo này." in page
    async with desk.client() as anonymous:
        status, _kind, _body = await anonymous.get_bytes(
            "/desk/exports/file?period=2026&format=xlsx"
        )
        assert status == 401


def _description(page: str, chart: str) -> str:
    found = re.search(rf'<desc id="chart-{chart}-desc">([^<]*)</desc>', page)
    assert found is not None, f"no chart {chart}"
    return found.group(1)


async def test_the_dashboard_draws_the_figures_of_the_summary(
    desk: DeskSite, loa: Loa, known: Known
) -> None:
    admin = await desk.person(Role.admin)
    officer = await desk.person(Role.officer, "ia-toi")
    everywhere = await counted(loa)
    per_unit = {unit: await counted(loa, units={unit}) for unit in ("ia-toi", "ia-dal", "ia-dom")}
    async with desk.client(admin) as client:
        status, page = await client.get("/desk/dashboard?period=2026")
    assert status == 200
    for label, key in (("Số hoạt động", "reports"), ("Lượt người tham dự", "participants")):
        assert f"{label}<strong>{everywhere[key]}</strong>" in page
    assert _description(page, "units") == "; ".join(
        f"{name}: {per_unit[unit]['reports']}"
        for unit, name in (
            ("ia-toi", "Xã Ia Tơi"),
            ("ia-dal", "Xã Ia Đal"),
            ("ia-dom", "Xã Ia Dom"),
        )
    )
    assert _description(page, "participants").startswith(
        f"Xã Ia Tơi: {per_unit['ia-toi']['participants']}; "
    )
    months = _description(page, "months")
    assert months.startswith("12/25: 0; ") and months.endswith("; 11/26: 0")
    assert sum(int(part.split(": ")[1]) for part in months.split("; ")) == everywhere["reports"]
    # The share is over the reports that recorded it: Ia Tơi's loudspeaker report did not.
    assert _description(page, "share").startswith("Xã Ia Tơi: 75%; ")
    assert page.count('role="img"') == 4

    async with desk.client(officer) as client:
        status, page = await client.get("/desk/dashboard?period=2026&scope=ia-dal")
    assert status == 200
    assert f"Số hoạt động<strong>{per_unit['ia-toi']['reports']}</strong>" in page
    assert "Xã Ia Đal" not in _description(page, "units")
