"""The periodic report as files: a workbook (XLSX) and a draft report (DOCX) from one `Summary`.

Both are written in Vietnamese (official documents are), with their wording in
`locales/periodic-report.yaml`; labels of activity kinds and roles come from the caller, in
the gettext catalog's Vietnamese, so the files name things as the chat does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.core.i18n import format_day
from bot.reports.summary import Period, Summary

FORMATS = ("xlsx", "docx")
WORDING_FILE = "periodic-report.yaml"


class ExportError(ValueError):
    """An export cannot be made as asked (the message says why)."""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Names the files use: activity kinds and roles (code → label), in display order."""

    activities: Mapping[str, str]
    roles: Mapping[str, str]
    themes: Mapping[str, str] = field(default_factory=dict)

    def theme(self, code: str) -> str:
        """The label of a Dự án 8 topic (an operator's own words are their own label)."""
        return self.themes.get(code, code)

    def activity(self, code: str) -> str:
        """The label of an activity kind (the code itself when unknown)."""
        return self.activities.get(code, code)

    def ordered(self, codes: Sequence[str]) -> list[str]:
        """`codes` in the vocabulary's order, unknown ones last."""
        order = {code: n for n, code in enumerate(self.activities)}
        return sorted(set(codes), key=lambda c: (order.get(c, len(order)), c))


@dataclass(frozen=True)
class Wording:
    """The Vietnamese text of the files."""

    raw: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def period(self, period: Period) -> str:
        """ "6 tháng đầu năm 2026", "năm 2026" or "từ ngày … đến ngày …"."""
        return str(self.raw["period"][period.kind]).format(
            year=period.year, start=format_day(period.start), end=format_day(period.end)
        )


@cache
def _load(path: Path) -> Wording:
    return Wording(yaml.safe_load(path.read_text(encoding="utf-8")))


def wording(locales_dir: Path) -> Wording:
    """The wording file of `locales_dir` (read once)."""
    return _load((locales_dir / WORDING_FILE).resolve())


def parse_formats(text: str) -> tuple[str, ...]:
    """ "xlsx,docx" → ("xlsx", "docx"); ExportError for anything else."""
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [part for part in chosen if part not in FORMATS]
    if not chosen or unknown:
        raise ExportError(f"formats are {', '.join(FORMATS)} (comma-separated), not {text!r}")
    return chosen


def file_stem(summary: Summary) -> str:
    """The common name of a summary's files: bao-cao-<scope>-<period>."""
    return f"bao-cao-{summary.scope_id or 'tat-ca'}-{summary.period.slug}"


def write_exports(
    summary: Summary,
    formats: Sequence[str],
    out_dir: Path,
    vocabulary: Vocabulary,
    words: Wording,
    today: date,
) -> list[Path]:
    """Write the chosen files into `out_dir` (blocking: run it in a thread from async code)."""
    from bot.exports.document import write_document
    from bot.exports.workbook import write_workbook

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in formats:
        target = out_dir / f"{file_stem(summary)}.{kind}"
        if kind == "xlsx":
            write_workbook(summary, target, vocabulary, words)
        else:
            write_document(summary, target, vocabulary, words, today)
        written.append(target)
    return written
