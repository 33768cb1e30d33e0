"""The content guard: what `loa content check` holds every page to, each fault as file:line.

A villager reads a page on a phone and acts on it, so a page must be true (every figure next
to the source it comes from, every source an address that opens or a dated citation), plain
(abbreviations spelled out before they are used, short sentences, dates as dd/mm/yyyy), short
at first (one screen before "Read more"), and must name only commands Loa has.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from bot.content.topics import PLACEHOLDER, ContentLibrary, Source, Topic
from bot.core.chat import text_length

ABBREVIATIONS_FILE = "abbreviations.yaml"
FIRST_SCREEN_LIMIT = 700  # characters before "Read more": about one phone screen
SENTENCE_WORDS = 40
SOURCES_LIMIT = 1800  # the source list is one paragraph: it must fit one Zalo message
STALE_AFTER = dt.timedelta(days=365)
# Values the handler fills in when a page is shown (handlers/content.py).
PLACEHOLDERS = frozenset({"operator_name", "operator_contact"})

_SOURCE_DATE = re.compile(r"(?:\d{2}/)?(?:\d{2}/)?\d{4}")
_CHECKED = re.compile(r"\d{2}/\d{2}/\d{4}")
_ELIDED = ("...", "…")
_COMMAND = re.compile(r"(?<![\w/.:])/([A-Za-z][A-Za-z0-9_]*)(?!\w)")
# Runs of capitals (with & or -) standing alone; those after "/" belong to document numbers
# ("1719/QĐ-TTg"), and tokens with digits or lower-case letters are not abbreviations.
_TOKEN = re.compile(r"(?<![\w/&-])[\w&-]+")
_ROMAN = re.compile(r"[IVXLC]+")
_SHORT_DATE = re.compile(r"(?<![\d/])(\d{1,2})([/-])(\d{1,2})\2(\d{4})(?![\d/])")
_FIGURE = re.compile(
    r"\d[\d.,]*\s*(?:%|tỷ\b|triệu\b|nghìn\b|đồng\b|km|ha\b|người\b|hộ\b|tuổi\b|lần\b)",
    re.IGNORECASE,
)
_DOCUMENT_NUMBER = re.compile(r"\d+/(?:\d{4}/)?[A-ZĐ][\w&-]*")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")

_At = Callable[[int, str], str]  # (line, message) -> "file:line: message"
_LineOf = Callable[[str], int]  # the first line of the file containing a text


@dataclass(frozen=True, slots=True)
class Rules:
    """What a page is checked against: the bot's commands, the abbreviation list, today."""

    commands: frozenset[str] | None = None  # None: commands are not checked
    abbreviations: Mapping[str, str] = field(default_factory=dict)
    today: dt.date | None = None  # None: `updated` is not compared with today


@dataclass(slots=True)
class Findings:
    """Errors and warnings about one page."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def load_abbreviations(content_dir: Path) -> dict[str, str]:
    """The abbreviations pages may use, with their spelled-out forms (empty if no list)."""
    path = content_dir / ABBREVIATIONS_FILE
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: must map each abbreviation to its spelled-out form")
    return {str(k): str(v) for k, v in raw.items()}


def check_library(library: ContentLibrary, rules: Rules) -> Findings:
    """Every fault of every page, in menu order."""
    found = Findings()
    for topic in library.pages():
        page = check_page(topic, rules)
        found.errors.extend(page.errors)
        found.warnings.extend(page.warnings)
    return found


def check_page(topic: Topic, rules: Rules) -> Findings:
    """Every fault of one page, each with its file and line."""
    found = Findings()
    file = f"{topic.lang}/{topic.path.name}"
    lines = topic.path.read_text(encoding="utf-8").splitlines()
    body_lines = topic.body.splitlines()

    def at(n: int, message: str) -> str:
        return f"{file}:{n}: {message}"

    def line_of(needle: str) -> int:
        return next((i for i, line in enumerate(lines, 1) if needle in line), 1)

    _check_first_screen(topic, found, at)
    for n, line in enumerate(body_lines, topic.body_line):
        if rules.commands is not None:
            for name in _COMMAND.findall(line):
                if name.lower() not in rules.commands:
                    found.errors.append(at(n, f"/{name} is not a command Loa has"))
        for name in PLACEHOLDER.findall(line):
            if name not in PLACEHOLDERS:
                found.errors.append(at(n, f"unknown placeholder {{{{{name}}}}}"))
    if topic.lang != "vi":
        return found
    _check_sources(topic, found, at, line_of)
    _check_updated(topic, rules, found, at, line_of)
    for n, line in enumerate([topic.title, *body_lines]):
        where = line_of("title:") if n == 0 else topic.body_line + n - 1
        for match in _SHORT_DATE.finditer(line):
            day, sep, month, year = match.groups()
            if sep == "/" and len(day) == len(month) == 2:
                continue
            found.errors.append(
                at(where, f"date {match.group(0)}: write it as {day:0>2}/{month:0>2}/{year}")
            )
        for sentence in _SENTENCE_END.split(line.lstrip("-#* ")):
            words = [w for w in sentence.split() if w not in ("-", "–")]
            if len(words) > SENTENCE_WORDS:
                found.errors.append(
                    at(where, f"a sentence of {len(words)} words (at most {SENTENCE_WORDS})")
                )
    _check_abbreviations(topic, rules.abbreviations, found, at, line_of)
    _check_figures(topic, found, at)
    return found


def _check_first_screen(topic: Topic, found: Findings, at: _At) -> None:
    first, _ = topic.screens()
    if not first:
        found.errors.append(
            at(topic.body_line, "the page opens with a heading: write its first screen first")
        )
    elif (size := text_length(first)) > FIRST_SCREEN_LIMIT:
        found.errors.append(
            at(
                topic.body_line,
                f"first screen has {size} characters (at most {FIRST_SCREEN_LIMIT}): move "
                "details under a '## ' heading",
            )
        )


def _check_sources(topic: Topic, found: Findings, at: _At, line_of: _LineOf) -> None:
    for source in topic.sources:
        n = line_of(source.url or source.title)
        if source.url:
            url = source.url
            parts = urlsplit(url)
            if any(mark in url for mark in _ELIDED):
                found.errors.append(at(n, f"address shortened with '...': {url}"))
            elif parts.scheme not in ("http", "https") or not parts.netloc:
                found.errors.append(at(n, f"not a web address: {url}"))
            elif parts.path in ("", "/") and not parts.query:
                found.errors.append(
                    at(n, f"bare domain {url}: give the page's full address or no address")
                )
        if not (source.date or source.checked):
            found.errors.append(at(n, f"source without a date (date, or checked): {source.title}"))
        if source.date and not _SOURCE_DATE.fullmatch(source.date):
            found.errors.append(
                at(n, f"source date {source.date}: write dd/mm/yyyy, mm/yyyy or yyyy")
            )
        if source.checked and not _CHECKED.fullmatch(source.checked):
            found.errors.append(at(n, f"checked {source.checked}: write dd/mm/yyyy"))
    size = text_length("\n".join(source.line() for source in topic.sources))
    if size > SOURCES_LIMIT:
        found.errors.append(
            at(line_of("sources:"), f"sources take {size} characters (at most {SOURCES_LIMIT})")
        )


def _check_updated(topic: Topic, rules: Rules, found: Findings, at: _At, line_of: _LineOf) -> None:
    n = line_of("updated:")
    try:
        updated = dt.date.fromisoformat(topic.updated)
    except ValueError:
        found.errors.append(at(n, f"updated must be a date (yyyy-mm-dd), not {topic.updated!r}"))
        return
    if rules.today is not None and rules.today - updated > STALE_AFTER:
        found.warnings.append(
            at(n, f"updated {topic.updated}, more than a year ago: check that it is still true")
        )


def abbreviations_in(text: str) -> Iterator[tuple[int, str]]:
    """(offset, abbreviation) of each run of capitals in `text` that reads as an abbreviation."""
    for match in _TOKEN.finditer(text):
        token = match.group(0).strip("&-")
        letters = [ch for ch in token if ch.isalpha()]
        if (
            len(letters) >= 2
            and all(ch.isupper() for ch in letters)
            and not any(ch.isdigit() or ch == "_" for ch in token)
            and not _ROMAN.fullmatch(token)
        ):
            yield match.start(), token


def _check_abbreviations(
    topic: Topic, known: Mapping[str, str], found: Findings, at: _At, line_of: _LineOf
) -> None:
    # The title is read first, so it counts as the page's first paragraph.
    text = f"{topic.title}\n\n{topic.body}"
    folded = text.casefold()
    seen: set[str] = set()
    for offset, abbreviation in abbreviations_in(text):
        if abbreviation in seen:
            continue
        seen.add(abbreviation)
        line = text.count("\n", 0, offset)
        n = line_of("title:") if line == 0 else topic.body_line + line - 2
        spelled = known.get(abbreviation)
        if spelled is None:
            found.errors.append(
                at(n, f"abbreviation {abbreviation} is not in content/{ABBREVIATIONS_FILE}")
            )
            continue
        end = text.find("\n\n", offset)
        position = folded.find(spelled.casefold())
        if position < 0 or position > (end if end >= 0 else len(text)):
            found.errors.append(
                at(n, f"{abbreviation} is used before it is spelled out ({spelled})")
            )


def citation_keys(source: Source) -> tuple[str, ...]:
    """How a paragraph can name a source: its `cite` names and its title's document numbers."""
    return (*source.cite, *_DOCUMENT_NUMBER.findall(source.title))


def _check_figures(topic: Topic, found: Findings, at: _At) -> None:
    keys = [key.casefold() for source in topic.sources for key in citation_keys(source)]
    offset = 0
    previous = ""
    for block in re.split(r"(\n\s*\n)", topic.body):
        if not block.strip() or block.isspace():
            offset += block.count("\n")
            continue
        paragraph = block.strip()
        heading = paragraph.startswith("## ")
        cited = any(key in paragraph.casefold() or key in previous.casefold() for key in keys)
        if not heading and _FIGURE.search(paragraph) and not cited:
            figure = _FIGURE.search(paragraph)
            assert figure is not None
            found.errors.append(
                at(
                    topic.body_line + offset,
                    f"figure {figure.group(0).strip()!r} with no source named in the paragraph "
                    "or the one before it (a document number or a source's 'cite')",
                )
            )
        previous = "" if heading else paragraph
        offset += block.count("\n")
