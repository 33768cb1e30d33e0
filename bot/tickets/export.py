"""What people ask that Loa cannot answer yet: grouped questions and officers' answers, as a
workbook for content editors (`loa questions export`).

Questions search was not confident about are grouped when they say nearly the same thing:
compared folded (no accents, lower case, no punctuation), two questions join a group when
their word sets overlap enough or their letters nearly match. A group shows one example,
how often it was asked, its variants, the communes and languages it came from. Nothing about
a person leaves in the workbook beyond the commune.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from difflib import SequenceMatcher
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from bot.core.chat import fold
from db.models import SearchMiss, Ticket

WORD_OVERLAP = 0.6  # Jaccard similarity of word sets that makes two questions one group
LETTER_MATCH = 0.85  # difflib ratio of folded texts that does the same (typos, run-together)
VARIANTS_SHOWN = 5


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", fold(text)))


def _similar(a: str, b: str, words_a: frozenset[str], words_b: frozenset[str]) -> bool:
    union = words_a | words_b
    if union and len(words_a & words_b) / len(union) >= WORD_OVERLAP:
        return True
    return SequenceMatcher(None, a, b).ratio() >= LETTER_MATCH


@dataclass
class QuestionGroup:
    """Near-duplicate questions search could not answer confidently."""

    example: str
    texts: Counter[str] = field(default_factory=Counter)
    communes: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    topics: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    _key: str = ""
    _words: frozenset[str] = frozenset()

    @property
    def count(self) -> int:
        """How many times it was asked."""
        return sum(self.texts.values())


def group_questions(
    misses: Iterable[SearchMiss], commune_names: Mapping[str, str]
) -> list[QuestionGroup]:
    """Group near-duplicate questions, most asked first."""
    groups: list[QuestionGroup] = []
    for miss in misses:
        text = " ".join(miss.text.split())
        if not text:
            continue
        key = " ".join(re.findall(r"\w+", fold(text)))
        words = frozenset(key.split())
        group = next((g for g in groups if _similar(key, g._key, words, g._words)), None)
        if group is None:
            group = QuestionGroup(example=text, _key=key, _words=words)
            groups.append(group)
        group.texts[text] += 1
        commune = commune_names.get(miss.unit_id, miss.unit_id) if miss.unit_id else "—"
        group.communes[commune] += 1
        group.languages[miss.language] += 1
        if miss.best_topic:
            group.topics[miss.best_topic] += 1
        group.first = min(filter(None, (group.first, miss.created_at)))
        group.last = max(filter(None, (group.last, miss.created_at)))
    for group in groups:
        group.example = group.texts.most_common(1)[0][0]
    return sorted(groups, key=lambda g: (-g.count, g.example))


def _counted(counter: Counter[str]) -> str:
    return ", ".join(f"{name} ({n})" for name, n in counter.most_common())


def _day(at: datetime | None, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%d/%m/%Y") if at is not None else ""


def write_workbook(
    path: Path,
    groups: Sequence[QuestionGroup],
    tickets: Sequence[Ticket],
    commune_names: Mapping[str, str],
    tz: tzinfo,
) -> None:
    """Write the two sheets: unanswered questions (grouped) and officers' answers."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Câu hỏi chưa có trả lời"
    sheet.append(
        [
            "Câu hỏi (ví dụ)",
            "Số lần hỏi",
            "Cách hỏi khác",
            "Xã",
            "Ngôn ngữ",
            "Trang gần nhất Loa tìm được",
            "Lần đầu",
            "Lần cuối",
        ]
    )
    for group in groups:
        variants = [t for t, _n in group.texts.most_common() if t != group.example]
        sheet.append(
            [
                group.example,
                group.count,
                "\n".join(variants[:VARIANTS_SHOWN]),
                _counted(group.communes),
                _counted(group.languages),
                _counted(group.topics),
                _day(group.first, tz),
                _day(group.last, tz),
            ]
        )
    answers = book.create_sheet("Cán bộ đã trả lời")
    answers.append(
        ["Số", "Xã", "Ngôn ngữ", "Câu hỏi", "Trả lời", "Trạng thái", "Ngày hỏi", "Ngày trả lời"]
    )
    for ticket in tickets:
        question = ticket.text or (f"({ticket.media_kind})" if ticket.media_kind else "")
        answers.append(
            [
                ticket.id,
                commune_names.get(ticket.unit_id, ticket.unit_id) if ticket.unit_id else "—",
                ticket.language,
                question,
                ticket.answer,
                ticket.status,
                _day(ticket.created_at, tz),
                _day(ticket.answered_at, tz),
            ]
        )
    for ws, widths in (
        (sheet, (50, 10, 50, 30, 15, 30, 12, 12)),
        (answers, (6, 20, 10, 50, 60, 12, 12, 12)),
    ):
        for column, width in zip("ABCDEFGH", widths, strict=True):
            ws.column_dimensions[column].width = width
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.save(path)
