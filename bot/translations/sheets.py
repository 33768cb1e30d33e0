"""Translator sheets: one Excel workbook per language, out (`export`) and back (`read_edits`).

Sheets "README" (instructions in Vietnamese), "UI" (every UI string) and "Content" (every topic,
part by part). Columns: key, Vietnamese source, current translation, status, translator's note,
guidance; then three hidden columns with hashes of what the export showed (the Vietnamese
source, the translation, the note), which let an import tell a translator's edit from somebody
else's newer work. A hidden sheet "_loa" names the language and the format.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.archives import WORKBOOK_LIMITS, ArchiveTooLarge, check_zip
from bot.core.i18n import Language
from bot.translations.workflow import CONTENT, UI, Edit, Status, Unit, load_units, text_hash

FORMAT = "loa-translation-sheet/1"
SHEETS = {UI: "UI", CONTENT: "Content"}
GUIDE_SHEET = "README"
META_SHEET = "_loa"
WORDING_FILE = "translator-sheet.yaml"
# key, source, translation, status, note, hint | hidden: source hash, translation hash, note hash
WIDTHS = {"A": 28, "B": 60, "C": 60, "D": 14, "E": 30, "F": 34, "G": 14, "H": 14, "I": 14}
_FILLS = {
    Status.missing: PatternFill("solid", start_color="FFF2CC"),
    Status.stale: PatternFill("solid", start_color="F8CBAD"),
}
_HEADER_FILL = PatternFill("solid", start_color="D9E1F2")


class SheetError(ValueError):
    """A workbook is not a translator sheet Loa can import (nothing is imported)."""


@dataclass(frozen=True, slots=True)
class Wording:
    """The Vietnamese wording of the sheets (locales/translator-sheet.yaml)."""

    raw: dict[str, Any]

    @classmethod
    def load(cls, locales_dir: Path) -> Wording:
        """Read the wording file."""
        raw = yaml.safe_load((locales_dir / WORDING_FILE).read_text(encoding="utf-8"))
        return cls(raw)

    def header(self, column: str, language: Language) -> str:
        """A column header."""
        return str(self.raw["headers"][column]).format(code=language.code)

    def hint(self, unit: Unit) -> str:
        """The guidance cell of a unit."""
        lines = []
        special = (self.raw.get("keys") or {}).get(unit.key)
        if special:
            lines.append(str(special))
        for kind, value in unit.hint:
            lines.append(str(self.raw["hints"][kind]).format(value=value))
        return "\n".join(lines)


def export(locales_dir: Path, content_dir: Path, language: Language, out: Path) -> Counter[str]:
    """Write the language's translator workbook; the number of units by status."""
    wording = Wording.load(locales_dir)
    units = load_units(locales_dir, content_dir, language.code)
    book = Workbook()
    guide = book.active
    assert guide is not None
    guide.title = GUIDE_SHEET
    counts: Counter[str] = Counter(unit.status.value for unit in units)
    _write_guide(guide, wording, language, counts)
    for sheet, title in SHEETS.items():
        _write_units(
            book.create_sheet(title), wording, language, [u for u in units if u.sheet == sheet]
        )
    meta = book.create_sheet(META_SHEET)
    meta.append(["format", FORMAT])
    meta.append(["language", language.code])
    meta.sheet_state = "hidden"
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return counts


def _write_guide(
    sheet: Worksheet, wording: Wording, language: Language, counts: Counter[str]
) -> None:
    names = {"language": language.name, "code": language.code}
    sheet.append([str(wording.raw["title"]).format(**names)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [
            str(wording.raw["summary"]).format(
                translated=counts[Status.translated.value],
                missing=counts[Status.missing.value],
                stale=counts[Status.stale.value],
            )
        ]
    )
    sheet.append([])
    for line in wording.raw["guide"]:
        sheet.append([str(line).format(**names)])
    sheet.column_dimensions["A"].width = 120
    for row in sheet.iter_rows(min_row=4):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def _text_cell(sheet: Worksheet, row: int, column: int, value: str) -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    # Never a formula, even when a text starts with "=".
    cell.data_type = "s"


def _write_units(
    sheet: Worksheet, wording: Wording, language: Language, units: list[Unit]
) -> None:
    headers = [
        wording.header(name, language)
        for name in ("key", "source", "translation", "status", "note", "hint")
    ]
    sheet.append([*headers, "source#", "translation#", "note#"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, unit in enumerate(units, start=2):
        values = [
            unit.key,
            unit.source,
            unit.translation,
            unit.status.value,
            unit.note,
            wording.hint(unit),
            unit.source_hash,
            text_hash(unit.translation),
            text_hash(unit.note),
        ]
        for index, value in enumerate(values, start=1):
            _text_cell(sheet, row, index, value)
            sheet.cell(row=row, column=index).alignment = wrap
        fill = _FILLS.get(unit.status)
        if fill is not None:
            sheet.cell(row=row, column=4).fill = fill
    for column, width in WIDTHS.items():
        sheet.column_dimensions[column].width = width
    for column in ("G", "H", "I"):
        sheet.column_dimensions[column].hidden = True
    sheet.freeze_panes = "C2"
    last = max(2, len(units) + 1)
    sheet.auto_filter.ref = f"A1:F{last}"
    choices = ",".join(s.value for s in Status)
    validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
    validation.error = "Chọn: " + ", ".join(s.value for s in Status)
    sheet.add_data_validation(validation)
    validation.add(f"D2:D{last}")


def read_edits(path: Path, expected_lang: str | None = None) -> tuple[str, list[Edit]]:
    """The language and rows of a translator workbook; SheetError if it is not one."""
    try:
        # The directory is checked before openpyxl inflates any part of the workbook.
        with path.open("rb") as raw:
            check_zip(raw, WORKBOOK_LIMITS)
        book = load_workbook(path, read_only=True, data_only=True)
    except ArchiveTooLarge as exc:
        raise SheetError(f"{path.name}: too large for a translator workbook ({exc})") from exc
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SheetError(f"{path.name}: not an Excel workbook ({exc})") from exc
    try:
        if META_SHEET not in book.sheetnames:
            raise SheetError(f"{path.name}: not a Loa translator sheet (no {META_SHEET} sheet)")
        meta = {
            str(row[0]): str(row[1])
            for row in book[META_SHEET].iter_rows(values_only=True)
            if row and row[0] is not None and len(row) > 1
        }
        if meta.get("format") != FORMAT:
            raise SheetError(f"{path.name}: unknown sheet format {meta.get('format')!r}")
        lang = meta.get("language", "")
        if expected_lang is not None and lang != expected_lang:
            raise SheetError(
                f"{path.name}: this sheet is for language {lang!r}, not {expected_lang!r}"
            )
        edits: list[Edit] = []
        for sheet, title in SHEETS.items():
            if title not in book.sheetnames:
                continue
            rows = book[title].iter_rows(values_only=True)
            header = next(rows, None)
            if header is None or len(header) < 3 or f"({lang})" not in str(header[2] or ""):
                raise SheetError(
                    f"{path.name}: sheet {title}: column C is not the {lang} translation "
                    "(a sheet copied from another language's workbook?)"
                )
            for number, row in enumerate(rows, start=2):
                cells = [_cell(row, i) for i in range(9)]
                if not cells[0]:
                    continue
                edits.append(
                    Edit(
                        sheet=sheet,
                        key=cells[0],
                        row=number,
                        translation=cells[2],
                        status=cells[3],
                        note=cells[4],
                        source_hash=cells[6],
                        exported_translation=cells[7],
                        exported_note=cells[8],
                    )
                )
        return lang, edits
    finally:
        book.close()


def _cell(row: tuple[Any, ...], index: int) -> str:
    value = row[index] if index < len(row) else None
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
