"""The workbook of a period: every approved report, the unit × activity summary, deadlines.

Dates are date cells and counts are number cells (so officers can sort, filter and sum);
headers are frozen and columns sized to be read without resizing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.exports import Vocabulary, Wording
from bot.reports.summary import Summary, Tally

DATE_FORMAT = "DD/MM/YYYY"
_HEADER_FILL = PatternFill("solid", start_color="D9E1F2")
_TOTAL_FONT = Font(bold=True)
Cell = str | int | date | None


def write_workbook(summary: Summary, target: Path, vocabulary: Vocabulary, words: Wording) -> None:
    """Write the three sheets to `target`."""
    sheets = words["workbook"]
    book = Workbook()
    reports = book.active
    assert reports is not None  # a new workbook has its first sheet
    reports.title = sheets["reports"]
    _reports(reports, summary, vocabulary, sheets["report_headers"])
    _summary(book.create_sheet(sheets["summary"]), summary, vocabulary, words)
    _deadlines(book.create_sheet(sheets["deadlines"]), summary, words)
    book.properties.title = words["metadata"]["title"].format(period=words.period(summary.period))
    book.properties.creator = "Loa"
    book.save(target)


def _header(sheet: Worksheet, headers: Sequence[str], widths: Sequence[int]) -> None:
    sheet.append(list(headers))
    for n, width in enumerate(widths, 1):
        cell = sheet.cell(row=1, column=n)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.freeze_panes = "A2"


def _append(sheet: Worksheet, values: Sequence[Cell]) -> None:
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, date):
            cell.number_format = DATE_FORMAT
        cell.alignment = Alignment(wrap_text=isinstance(cell.value, str), vertical="top")


def _reports(
    sheet: Worksheet, summary: Summary, vocabulary: Vocabulary, headers: Sequence[str]
) -> None:
    _header(sheet, headers, (10, 13, 26, 18, 30, 24, 12, 12, 10, 30, 12, 12, 60, 16, 8, 40))
    for row in summary.rows:
        _append(
            sheet,
            (
                row.id,
                row.day,
                row.unit_name,
                row.village or None,
                vocabulary.activity(row.activity),
                row.activity_other or None,
                row.participants,
                row.ethnic_minority,
                row.women,
                "; ".join(map(vocabulary.theme, row.themes)) or None,
                row.young_people,
                row.children,
                row.description,
                vocabulary.roles.get(row.reporter_role, row.reporter_role),
                len(row.photos),
                ", ".join(photo.name for photo in row.photos) or None,
            ),
        )
    sheet.auto_filter.ref = sheet.dimensions


def _tally_cells(tally: Tally) -> tuple[int, int, int, int]:
    return tally.reports, tally.participants, tally.ethnic_minority, tally.women


def _summary(sheet: Worksheet, summary: Summary, vocabulary: Vocabulary, words: Wording) -> None:
    sheets = words["workbook"]
    kinds = vocabulary.ordered([row.activity for row in summary.rows])
    headers = [sheets["summary_unit"], *map(vocabulary.activity, kinds), *sheets["summary_totals"]]
    _header(sheet, headers, [30, *[14] * len(kinds), 14, 14, 14, 12])
    for unit in summary.units:
        by_kind = [
            summary.by_unit_activity.get((unit.id, kind), Tally()).reports for kind in kinds
        ]
        _append(sheet, (unit.name, *by_kind, *_tally_cells(summary.by_unit.get(unit.id, Tally()))))
    totals = [summary.by_activity[kind].reports for kind in kinds]
    _append(sheet, (words["total"], *totals, *_tally_cells(summary.total)))
    for cell in sheet[sheet.max_row]:
        cell.font = _TOTAL_FONT


def _deadlines(sheet: Worksheet, summary: Summary, words: Wording) -> None:
    sheets = words["workbook"]
    _header(sheet, sheets["deadline_headers"], (34, 14, 30, 14, 13, 18, 40, 30))
    for item in summary.deadlines:
        _append(
            sheet,
            (
                item.deadline,
                item.due_date,
                item.unit_name,
                sheets["states"][item.state],
                item.submitted_on,
                sheets["via"].get(item.via, item.via) or None,
                item.note or None,
                item.document_name or None,
            ),
        )
