"""The draft report (DOCX) in the layout of Nghị định 30/2020/NĐ-CP, Phụ lục I.

A4, margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman; the issuing body
(left) and the national motto with its line (right) in a borderless table; a number line left
blank for the clerk; place and date in italics; "BÁO CÁO" and its subject; Roman-numbered
sections; page numbers centred in the top margin from page 2. It is a draft for a person to
finish: the metadata say so (status, category, comments), the body does not.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from PIL import Image, UnidentifiedImageError

from bot.core.i18n import format_day, format_number
from bot.exports import Vocabulary, Wording
from bot.exports.chart import chart_png
from bot.reports.summary import Photo, ReportRow, Summary, Tally
from db.models import UnitKind

FONT = "Times New Roman"
BODY = Pt(14)
MAX_PHOTOS = 4
MAX_QUOTES = 15
TEXT_WIDTH = 16.5  # cm: A4 less the 30 mm and 15 mm margins
HEADER_COLUMNS = (6.0, 10.5)
RESULT_COLUMNS = (1.2, 4.8, 2.1, 2.1, 2.1, 2.1, 2.1)
PHOTO_PIXELS = 1600  # longest side of a photo in the file: sharp in print, small to send
_COMMITTEES = {UnitKind.province.value, UnitKind.district.value, UnitKind.commune.value}
_KIND_WORDS = ("Thị trấn ", "Xã ", "Huyện ", "Tỉnh ", "Thành phố ")


def write_document(
    summary: Summary, target: Path, vocabulary: Vocabulary, words: Wording, today: date
) -> None:
    """Write the draft report to `target`."""
    document = Document()
    _page(document)
    _header(document, summary, words, today)
    _title(document, summary, words)
    _overview(document, summary, words)
    _results(document, summary, vocabulary, words)
    _photos(document, summary, vocabulary, words)
    _notes(document, summary, words)
    _closing(document, summary, words)
    _metadata(document, summary, words)
    document.save(str(target))


# --- page and fonts ------------------------------------------------------------------------


def _page(document: DocxDocument) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = BODY
    # Word picks the East Asian font slot for Vietnamese letters in some set-ups: set every slot.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    paragraph = normal.paragraph_format
    paragraph.space_after = Pt(6)
    paragraph.line_spacing = 1.15
    # Page numbers centred in the top margin, none on the first page.
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(number, "PAGE")


def _field(paragraph: Paragraph, instruction: str) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("end", None)):
        if kind is None:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)


def _line(
    paragraph: Paragraph | _Cell,
    text: str,
    *,
    size: float = 14,
    bold: bool = False,
    italic: bool = False,
    align: int | None = WD_ALIGN_PARAGRAPH.CENTER,
) -> Paragraph:
    target = paragraph.add_paragraph() if isinstance(paragraph, _Cell) else paragraph
    target.alignment = align
    target.paragraph_format.space_after = Pt(0)
    target.paragraph_format.first_line_indent = None
    run = target.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    return target


def _rule(container: _Cell | DocxDocument, width: float, available: float) -> None:
    """A short solid line, centred under a header block (the bottom border of an empty
    paragraph indented to `width` cm of the `available` cm)."""
    paragraph = container.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.first_line_indent = None
    margin = max(0.0, (available - width) / 2)
    paragraph.paragraph_format.left_indent = Cm(margin)
    paragraph.paragraph_format.right_indent = Cm(margin)
    paragraph.paragraph_format.line_spacing = Pt(2)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (
        ("w:val", "single"),
        ("w:sz", "6"),
        ("w:space", "1"),
        ("w:color", "000000"),
    ):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _widths(table: Table, widths: Sequence[float]) -> None:
    """Fix column widths in cm (Word reads the cells, LibreOffice the grid: set both)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


def _body(document: DocxDocument, text: str, *, bold: bool = False, indent: bool = True) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1.27) if indent else None
    run = paragraph.add_run(text)
    run.bold = bold


# --- header, title -------------------------------------------------------------------------


def _issuer(summary: Summary, words: Wording) -> tuple[str, str, str, bool]:
    """(parent body line, issuing body line, place, is a People's Committee)."""
    unit, parent = summary.issuer, summary.issuer_parent
    if unit is None:
        return "", "", "", False
    if unit.kind in _COMMITTEES:
        return "", unit.name.upper(), _place(unit.name), True
    if parent is None:
        return "", unit.name.upper(), _place(unit.name), False
    parent_line = parent.name.upper()
    if parent.kind in _COMMITTEES:  # a department of a People's Committee
        parent_line = f"{words['committee']} {parent_line}"
    return parent_line, unit.name.upper(), _place(parent.name), False


def _place(name: str) -> str:
    for word in _KIND_WORDS:
        if name.startswith(word):
            return name[len(word) :]
    return name


def _header(document: DocxDocument, summary: Summary, words: Wording, today: date) -> None:
    parent, body, place, committee = _issuer(summary, words)
    table = document.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, HEADER_COLUMNS)
    left, right = table.rows[0].cells
    for cell in (left, right):
        cell.paragraphs[0].paragraph_format.space_after = Pt(0)
    if committee:
        _line(left.paragraphs[0], words["committee"], size=13, bold=True)
        _line(left, body, size=13, bold=True)
    else:
        _line(left.paragraphs[0], parent, size=13)
        _line(left, body, size=13, bold=True)
    _rule(left, 2.0, HEADER_COLUMNS[0])
    motto, independence = words["motto"]
    _line(right.paragraphs[0], motto, size=13, bold=True)
    _line(right, independence, size=14, bold=True)
    _rule(right, 6.0, HEADER_COLUMNS[1])
    number, dated = table.rows[1].cells
    symbol = "UBND" if committee else "……"
    _line(number.paragraphs[0], words["number_line"].format(symbol=symbol), size=13)
    date_line = words["place_date"].format(
        place=place, day=today.day, month=today.month, year=today.year
    )
    _line(dated.paragraphs[0], date_line, size=14, italic=True)


def _title(document: DocxDocument, summary: Summary, words: Wording) -> None:
    spacer = document.add_paragraph()
    spacer.paragraph_format.space_after = Pt(0)
    _line(document.add_paragraph(), words["document_type"], size=14, bold=True)
    subject = words["subject"].format(period=words.period(summary.period))
    _line(document.add_paragraph(), subject, size=14, bold=True)
    window = words["window"].format(
        start=format_day(summary.period.start), end=format_day(summary.period.end)
    )
    _line(document.add_paragraph(), window, size=14, italic=True)
    _rule(document, 4.0, TEXT_WIDTH)


# --- sections ------------------------------------------------------------------------------


def _overview(document: DocxDocument, summary: Summary, words: Wording) -> None:
    _body(document, words["sections"]["overview"], bold=True, indent=False)
    period = summary.period
    start, end = format_day(period.start), format_day(period.end)
    if summary.empty:
        _body(document, words["overview_empty"].format(start=start, end=end))
        return
    total = summary.total
    _body(
        document,
        words["overview"].format(
            start=start,
            end=end,
            units=format_number(len(summary.by_unit)),
            reports=format_number(total.reports),
            participants=format_number(total.participants),
            ethnic_minority=format_number(total.ethnic_minority),
            women=format_number(total.women),
        ),
    )


def share_text(tally: Tally) -> str:
    """The ethnic-minority share as the table prints it: "62,5", or "" when never recorded."""
    share = tally.ethnic_minority_share
    return "" if share is None else f"{share * 100:.1f}".replace(".", ",")


def _results(
    document: DocxDocument, summary: Summary, vocabulary: Vocabulary, words: Wording
) -> None:
    sections = words["sections"]
    _body(document, sections["results"], bold=True, indent=False)
    _body(document, sections["by_form"], bold=True, indent=False)
    _body(document, words["by_form_intro"])
    kinds = vocabulary.ordered(list(summary.by_activity))
    table = document.add_table(rows=1, cols=7)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, RESULT_COLUMNS)
    for cell, header in zip(table.rows[0].cells, words["table_headers"], strict=True):
        _line(cell.paragraphs[0], header, size=12, bold=True)
    for n, kind in enumerate(kinds, 1):
        _tally_row(
            table.add_row().cells, str(n), vocabulary.activity(kind), summary.by_activity[kind]
        )
    _tally_row(table.add_row().cells, "", words["total"], summary.total, bold=True)
    _body(document, sections["by_unit"], bold=True, indent=False)
    picture = document.add_paragraph()
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.add_run().add_picture(io.BytesIO(chart_png(summary, words)), width=Cm(16))
    _line(document.add_paragraph(), words["chart_caption"], size=13, italic=True)


def _tally_row(
    cells: Sequence[_Cell], number: str, label: str, tally: Tally, *, bold: bool = False
) -> None:
    values = (
        number,
        label,
        format_number(tally.reports),
        format_number(tally.participants),
        format_number(tally.ethnic_minority),
        share_text(tally),
        format_number(tally.women),
    )
    for n, (cell, value) in enumerate(zip(cells, values, strict=True)):
        align = WD_ALIGN_PARAGRAPH.LEFT if n == 1 else WD_ALIGN_PARAGRAPH.CENTER
        _line(cell.paragraphs[0], value, size=13, bold=bold, align=align)


def pick_photos(
    rows: Sequence[ReportRow], limit: int = MAX_PHOTOS
) -> list[tuple[ReportRow, Photo]]:
    """The first readable photo of up to `limit` reports spread over the period."""
    with_photos = [row for row in rows if any(p.path.is_file() for p in row.photos)]
    if len(with_photos) > limit:
        step = len(with_photos) / limit
        with_photos = [with_photos[int(n * step)] for n in range(limit)]
    return [(row, next(p for p in row.photos if p.path.is_file())) for row in with_photos]


def _photos(
    document: DocxDocument, summary: Summary, vocabulary: Vocabulary, words: Wording
) -> None:
    _body(document, words["sections"]["photos"], bold=True, indent=False)
    shown = 0
    for row, photo in pick_photos(summary.rows):
        data = _printable(photo.path)
        if data is None:
            continue
        shown += 1
        picture = document.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.keep_with_next = True
        picture.add_run().add_picture(io.BytesIO(data), width=Cm(11))
        caption = words["photo_caption"].format(
            number=shown,
            activity=vocabulary.activity(row.activity),
            unit=row.unit_name,
            day=format_day(row.day),
            report=row.id,
        )
        _line(document.add_paragraph(), caption, size=13, italic=True)
    if not shown:
        _body(document, words["no_photos"])


def _printable(path: Path) -> bytes | None:
    """The photo as a JPEG no larger than PHOTO_PIXELS (None when it cannot be read)."""
    try:
        with Image.open(path) as image:
            image.thumbnail((PHOTO_PIXELS, PHOTO_PIXELS))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=85)
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return buffer.getvalue()


def _notes(document: DocxDocument, summary: Summary, words: Wording) -> None:
    _body(document, words["sections"]["notes"], bold=True, indent=False)
    if not summary.quotes:
        _body(document, words["no_notes"])
        return
    _body(document, words["notes_intro"])
    for quote in summary.quotes[:MAX_QUOTES]:
        if quote.report_id is not None:
            source = words["note_source_report"].format(
                report=quote.report_id, unit=quote.unit_name, day=format_day(quote.day)
            )
        else:
            source = words["note_source_submission"].format(
                unit=quote.unit_name, day=format_day(quote.day)
            )
        _body(document, f"- “{quote.text}” {source}")
    if len(summary.quotes) > MAX_QUOTES:
        _body(document, words["notes_more"].format(count=len(summary.quotes) - MAX_QUOTES))


def _closing(document: DocxDocument, summary: Summary, words: Wording) -> None:
    *_ignored, committee = _issuer(summary, words)
    table = document.add_table(rows=1, cols=2)
    _widths(table, (8.0, 8.5))
    recipients, signature = table.rows[0].cells
    _line(
        recipients.paragraphs[0],
        words["recipients_label"],
        size=12,
        bold=True,
        italic=True,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    for line in words["recipients"]:
        _line(recipients, line, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    block: list[str] = words["signature_committee" if committee else "signature_other"]
    _line(signature.paragraphs[0], block[0], size=14, bold=True)
    for line in block[1:]:
        _line(signature, line, size=14, bold=True)
    for _blank in range(4):  # room for the signature and the seal
        _line(signature, "", size=14)
    _line(signature, words["signer"], size=14, bold=True)


def _metadata(document: DocxDocument, summary: Summary, words: Wording) -> None:
    meta = words["metadata"]
    period = words.period(summary.period)
    properties = document.core_properties
    properties.title = meta["title"].format(period=period)
    properties.subject = words["subject"].format(period=period)
    properties.author = "Loa"
    properties.comments = meta["comments"]
    properties.category = meta["category"]
    properties.keywords = meta["keywords"]
    properties.content_status = meta["category"]
