"""Content: topic pages in `content/<lang>/<topic-id>.md`, Markdown with YAML front matter.

Vietnamese (`vi`) is the source language and has every topic; other languages hold the topics a
translator has written, and a missing one falls back to Vietnamese. The body may use a small
Markdown subset: paragraphs, `**bold**`, "- " bullets and "## " headings.

A translation written through the translator sheets (bot/sheets.py) records, in its front matter
block `translation`, a hash of the Vietnamese text each part was translated from. Each part (the
title, each paragraph) then falls back on its own: a part whose Vietnamese source has changed
since, or that nobody translated yet, is shown in current Vietnamese, so a villager never reads
an outdated translation of a fact. Files without that block are taken as complete translations.
Recordings `content/<lang>/<topic-id>.ogg|.m4a|.aac` are offered with the page (bot/audio.py).

A page is read on a phone in two screens: the first screen is the body before its first "## "
heading (what to know, whom to ask: checks.FIRST_SCREEN_LIMIT at most), the rest is behind
"Read more". `{{name}}` placeholders (checks.PLACEHOLDERS) are filled in when it is shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.audio import AUDIO_SUFFIXES, AudioCheck
from bot.content.audio import check as check_recording
from bot.content.search import SearchDoc
from bot.core.chat import escape, text_length

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "vi"
CHANNEL_LIMITS = {"telegram": 4096, "zalo": 2000}
# A page is sent as title + paragraphs split at paragraph boundaries: each paragraph must fit
# the strictest channel with room for the title line and a fallback note.
PARAGRAPH_LIMIT = 1800
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.DOTALL)
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_FIRST_HEADING = re.compile(r"^## ", re.MULTILINE)
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# libyaml's safe loader when PyYAML has it: ten times faster over every page at start.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def source_hash(text: str) -> str:
    """A short fingerprint of a Vietnamese source text (what a translation was made from)."""
    normal = unicodedata.normalize("NFC", text.strip())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:12]


def split_paragraphs(body: str) -> list[str]:
    """A Markdown body's paragraphs (the units translators translate), in order."""
    return [p.strip() for p in _PARAGRAPH_BREAK.split(body.strip()) if p.strip()]


def split_screens(body: str) -> tuple[str, str]:
    """A body's first screen (before its first "## " heading) and the rest ("" if none)."""
    match = _FIRST_HEADING.search(body)
    if match is None:
        return body.strip(), ""
    return body[: match.start()].strip(), body[match.start() :].strip()


def fill_placeholders(markup: str, values: dict[str, str]) -> str:
    """Markup with each `{{name}}` replaced by `values[name]` (already markup); others kept."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), markup)


def markup_of(text: str) -> str:
    """Body text in Loa's reply markup (bold kept, headings bold, bullets as dots)."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("## "):
            lines.append(f"**{_inline(stripped[3:])}**")
        elif stripped.startswith("- "):
            lines.append(f"• {_inline(stripped[2:])}")
        else:
            lines.append(_inline(stripped))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class ContentError(ValueError):
    """A content file cannot be read."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a topic's facts come from."""

    title: str
    url: str | None = None
    date: str | None = None  # dd/mm/yyyy, mm/yyyy or yyyy: of the document or article
    cite: tuple[str, ...] = ()  # how a paragraph names it (document numbers are found alone)
    checked: str | None = None  # dd/mm/yyyy: when the address was last seen saying it

    def line(self, seen: str = "seen {date}") -> str:
        """The source as one line of reply markup: title, date, when it was seen, address."""
        text = escape(self.title)
        if self.date:
            text += f", {escape(self.date)}"
        if self.checked:
            text += ", " + seen.format(date=escape(self.checked))
        if self.url:
            text += f": {escape(self.url)}"
        return f"• {text}"


@dataclass(frozen=True, slots=True)
class TranslationMap:
    """Which Vietnamese text each part of a translation was made from (source hashes).

    `paragraphs` has one hash per body paragraph of the translation file, in order; `title` and
    `keywords` are None when those are not translated.
    """

    title: str | None
    keywords: str | None
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    """One topic page in one language."""

    id: str
    lang: str
    title: str
    parent: str | None
    order: int
    keywords: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    updated: str
    to_verify: tuple[str, ...]
    body: str
    path: Path
    translation: TranslationMap | None = None
    body_line: int = 1  # line of the file where the body starts, for error messages

    def markup(self) -> str:
        """The body in Loa's reply markup (bold kept, headings bold, bullets as dots)."""
        return markup_of(self.body)

    def screens(self) -> tuple[str, str]:
        """The first screen and the rest ("" when the page fits one screen), in reply markup."""
        first, rest = split_screens(self.body)
        return markup_of(first), markup_of(rest)

    def paragraphs(self) -> list[str]:
        """The body's paragraphs, as the splitter will cut them."""
        return [p for p in re.split(r"\n\s*\n", self.markup()) if p.strip()]


def _inline(text: str) -> str:
    """Escape everything but `**bold**` pairs."""
    out: list[str] = []
    last = 0
    for match in _BOLD.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"**{escape(match.group(1))}**")
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Lookup:
    """A topic as shown to a user: the page, and whether it fell back to Vietnamese."""

    topic: Topic
    fallback: bool
    partial: bool = False


@dataclass(frozen=True, slots=True)
class Recording:
    """A topic read aloud in one language: the same audio in one or more encodings."""

    topic_id: str
    lang: str
    files: tuple[Path, ...]
    duration: float | None = None


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What `loa content check` found."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    to_verify: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors (warnings and to-verify items do not fail the check)."""
        return not self.errors


class ContentLibrary:
    """Every topic in every language, loaded once at start."""

    def __init__(
        self,
        topics: Iterable[Topic],
        recordings: Iterable[Recording] = (),
        audio_checks: Iterable[AudioCheck] = (),
    ) -> None:
        files = {(topic.id, topic.lang): topic for topic in topics}
        # Pages as shown: translations composed part by part with the current Vietnamese.
        self._topics: dict[tuple[str, str], Topic] = {}
        self._progress: dict[tuple[str, str], Progress] = {}
        for key, topic in files.items():
            source = files.get((topic.id, SOURCE_LANGUAGE))
            if topic.lang == SOURCE_LANGUAGE:
                self._topics[key] = topic
            elif source is None or topic.translation is None:
                self._topics[key] = topic
                self._progress[key] = Progress(1, 1, 0)
            else:
                self._topics[key], self._progress[key] = compose(source, topic)
        self.ids = sorted(
            {tid for tid, lang in self._topics if lang == SOURCE_LANGUAGE},
            key=lambda tid: (self._topics[(tid, SOURCE_LANGUAGE)].order, tid),
        )
        self._recordings = {(r.topic_id, r.lang): r for r in recordings}
        self._audio_checks = list(audio_checks)

    @classmethod
    def load(cls, content_dir: Path) -> ContentLibrary:
        """Read every `content/<lang>/*.md` file and every recording beside them."""
        topics = [read_topic(path) for path in sorted(content_dir.glob("*/*.md"))]
        recordings, checks = load_recordings(content_dir)
        return cls(topics, recordings, checks)

    def __contains__(self, topic_id: object) -> bool:
        return (topic_id, SOURCE_LANGUAGE) in self._topics

    @property
    def languages(self) -> set[str]:
        """Languages with at least one topic."""
        return {lang for _, lang in self._topics}

    def source(self, topic_id: str) -> Topic:
        """The Vietnamese page of a topic (KeyError when there is none)."""
        return self._topics[(topic_id, SOURCE_LANGUAGE)]

    def get(self, topic_id: str, lang: str) -> Lookup | None:
        """The page in `lang`, else in Vietnamese (marked as a fallback); None if unknown."""
        own = self._topics.get((topic_id, lang))
        progress = self._progress.get((topic_id, lang), Progress(1, 1, 0))
        if own is not None and progress.done > 0:
            return Lookup(own, fallback=False, partial=progress.done < progress.total)
        source = self._topics.get((topic_id, SOURCE_LANGUAGE))
        if source is None:
            return None
        return Lookup(source, fallback=lang != SOURCE_LANGUAGE)

    def title(self, topic_id: str, lang: str) -> str:
        """A topic's title in `lang` or Vietnamese."""
        found = self.get(topic_id, lang)
        return found.topic.title if found else topic_id

    def children(self, topic_id: str | None) -> list[str]:
        """Ids of the topics under `topic_id` (None: the roots), in menu order."""
        return [tid for tid in self.ids if self.source(tid).parent == topic_id]

    def translated(self, lang: str) -> list[str]:
        """Topic ids fully translated into `lang` (every part current)."""
        if lang == SOURCE_LANGUAGE:
            return list(self.ids)
        return [
            tid
            for tid in self.ids
            if (progress := self._progress.get((tid, lang))) and progress.done == progress.total
        ]

    def progress(self, topic_id: str, lang: str) -> Progress | None:
        """How much of a topic's translation into `lang` is shown (None: no translation file)."""
        return self._progress.get((topic_id, lang))

    def recording(self, topic_id: str, lang: str) -> Recording | None:
        """The recording of a topic in `lang`, else in Vietnamese; None when there is none."""
        return self._recordings.get((topic_id, lang)) or self._recordings.get(
            (topic_id, SOURCE_LANGUAGE)
        )

    def recorded(self, lang: str) -> list[str]:
        """Topic ids with a recording of their own in `lang`."""
        return [tid for tid in self.ids if (tid, lang) in self._recordings]

    def search_docs(self) -> list[SearchDoc]:
        """Every page in every language, for the search index."""
        return [
            SearchDoc(
                topic_id=topic.id,
                lang=topic.lang,
                title=topic.title,
                keywords=topic.keywords,
                body=topic.body,
                parent=self.source(topic.id).parent,
            )
            for key, topic in self._topics.items()
            if topic.id in self and self._progress.get(key, Progress(1, 1, 0)).done > 0
        ]

    def pages(self) -> list[Topic]:
        """Every page as shown (translations composed): Vietnamese first, each in menu order."""
        order = {tid: n for n, tid in enumerate(self.ids)}
        return sorted(
            self._topics.values(),
            key=lambda t: (t.lang != SOURCE_LANGUAGE, t.lang, order.get(t.id, len(order))),
        )

    def check(self, required_ids: Iterable[str] = ()) -> CheckReport:
        """Validate links, coverage and sizes; collect every to-verify item."""
        report = CheckReport()
        for tid in required_ids:
            if tid not in self:
                report.errors.append(f"topic {tid}: missing content/vi/{tid}.md")
        for (tid, lang), topic in sorted(self._topics.items()):
            where = f"{lang}/{tid}"
            if tid not in self:
                report.errors.append(f"{where}: translation of a topic that has no vi page")
                continue
            source = self.source(tid)
            if topic.parent is not None and topic.parent not in self:
                report.errors.append(f"{where}: parent {topic.parent} does not exist")
            if topic.parent != source.parent:
                report.errors.append(f"{where}: parent differs from the vi page")
            for rel in topic.related:
                if rel not in self:
                    report.errors.append(f"{where}: related topic {rel} does not exist")
            if not topic.sources and lang == SOURCE_LANGUAGE:
                report.errors.append(f"{where}: no sources")
            if not topic.body.strip():
                report.errors.append(f"{where}: empty body")
            for n, paragraph in enumerate(topic.paragraphs(), 1):
                size = text_length(paragraph)
                if size > PARAGRAPH_LIMIT:
                    report.errors.append(
                        f"{where}: paragraph {n} has {size} characters; split it under "
                        f"{PARAGRAPH_LIMIT} so every part fits Zalo's "
                        f"{CHANNEL_LIMITS['zalo']} and Telegram's {CHANNEL_LIMITS['telegram']}"
                    )
            if "*" in _BOLD.sub("", topic.body):
                report.errors.append(f"{where}: stray '*' outside **bold**")
            if text_length(topic.title) > 200:
                report.errors.append(f"{where}: title longer than 200 characters")
            report.to_verify.extend((where, item) for item in topic.to_verify)
            progress = self._progress.get((tid, lang))
            if progress is not None and progress.stale:
                report.warnings.append(
                    f"{where}: {progress.stale} translated part(s) shown in Vietnamese because "
                    "the Vietnamese text changed since (export a translator sheet to review)"
                )
        for audio in self._audio_checks:
            where = f"{audio.path.parent.name}/{audio.path.name}"
            if audio.path.stem not in self:
                report.errors.append(f"{where}: recording of a topic that has no vi page")
            report.errors.extend(f"{audio.path.parent.name}/{e}" for e in audio.errors)
            report.warnings.extend(f"{audio.path.parent.name}/{w}" for w in audio.warnings)
        self._check_cycles(report)
        return report

    def _check_cycles(self, report: CheckReport) -> None:
        for tid in self.ids:
            seen = {tid}
            parent = self.source(tid).parent
            while parent is not None and parent in self:
                if parent in seen:
                    report.errors.append(f"vi/{tid}: parent chain loops through {parent}")
                    break
                seen.add(parent)
                parent = self.source(parent).parent


@dataclass(frozen=True, slots=True)
class Progress:
    """Parts of a translation (title + paragraphs) shown translated, of all; stale: outdated."""

    done: int
    total: int
    stale: int


def align(source: list[str], stored: tuple[str, ...] | list[str]) -> dict[int, int]:
    """Match stored source hashes to the current Vietnamese ones, in order: {vi index: stored}."""
    mapping: dict[int, int] = {}
    start = 0
    for j, wanted in enumerate(stored):
        for i in range(start, len(source)):
            if source[i] == wanted:
                mapping[i] = j
                start = i + 1
                break
    return mapping


def compose(source: Topic, own: Topic) -> tuple[Topic, Progress]:
    """A translation as shown: a part is translated where its source is current, else in vi."""
    assert own.translation is not None
    vi_paragraphs = split_paragraphs(source.body)
    own_paragraphs = split_paragraphs(own.body)
    mapping = align([source_hash(p) for p in vi_paragraphs], own.translation.paragraphs)
    body = "\n\n".join(
        own_paragraphs[mapping[i]] if i in mapping else paragraph
        for i, paragraph in enumerate(vi_paragraphs)
    )
    title_current = own.translation.title == source_hash(source.title)
    title_stale = own.translation.title is not None and not title_current
    progress = Progress(
        done=len(mapping) + int(title_current),
        total=len(vi_paragraphs) + 1,
        stale=len(own_paragraphs) - len(mapping) + int(title_stale),
    )
    shown = dataclasses.replace(own, title=own.title if title_current else source.title, body=body)
    return shown, progress


def load_recordings(content_dir: Path) -> tuple[list[Recording], list[AudioCheck]]:
    """Every recording beside the pages; files that fail the check are not offered."""
    checks = [
        check_recording(path)
        for path in sorted(content_dir.glob("*/*"))
        if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file()
    ]
    grouped: dict[tuple[str, str], list[AudioCheck]] = {}
    for audio in checks:
        if audio.errors:
            log.warning("recording not offered: %s", "; ".join(audio.errors))
            continue
        grouped.setdefault((audio.path.stem, audio.path.parent.name), []).append(audio)
    recordings = [
        Recording(
            topic_id=stem,
            lang=lang,
            # Ogg Opus first: what Telegram plays as a voice note; channels pick by suffix.
            files=tuple(
                sorted(
                    (a.path for a in found),
                    key=lambda path: AUDIO_SUFFIXES.index(path.suffix.lower()),
                )
            ),
            duration=found[0].info.duration if found[0].info else None,
        )
        for (stem, lang), found in sorted(grouped.items())
    ]
    return recordings, checks


def read_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    """A content file's front matter and body; raise ContentError naming the problem."""
    meta, body, _ = _read_parts(path)
    return meta, body


def _read_parts(path: Path) -> tuple[dict[str, Any], str, int]:
    """Front matter, body, and the line number where the stripped body starts."""
    try:
        text = unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: {exc}") from exc
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise ContentError(f"{path}: no front matter between '---' lines")
    try:
        meta = yaml.load(match.group(1), Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: front matter is not YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise ContentError(f"{path}: front matter must be a mapping")
    body = match.group(2)
    leading = body[: len(body) - len(body.lstrip())]
    return meta, body, text.count("\n", 0, match.start(2)) + leading.count("\n") + 1


def read_topic(path: Path) -> Topic:
    """Parse one content file; raise ContentError naming the file and the problem."""
    meta, body, body_line = _read_parts(path)
    lang = path.parent.name
    topic_id = _required_str(meta, "id", path)
    if topic_id != path.stem or not _ID.match(topic_id):
        raise ContentError(f"{path}: id {topic_id!r} must equal the file name (a-z, 0-9, -)")
    parent = meta.get("parent")
    order = meta.get("order", 100)
    if not isinstance(order, int):
        raise ContentError(f"{path}: order must be an integer")
    updated = meta.get("updated", "")
    return Topic(
        id=topic_id,
        lang=lang,
        title=_required_str(meta, "title", path),
        parent=str(parent) if parent else None,
        order=order,
        keywords=_str_list(meta, "keywords", path),
        related=_str_list(meta, "related", path),
        sources=_sources(meta.get("sources"), path),
        updated=updated.isoformat() if isinstance(updated, dt.date) else str(updated),
        to_verify=_str_list(meta, "to_verify", path),
        body=body.strip(),
        path=path,
        translation=_translation(meta.get("translation"), body, path),
        body_line=body_line,
    )


def _translation(value: Any, body: str, path: Path) -> TranslationMap | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ContentError(f"{path}: 'translation' must be a mapping")
    hashes = value.get("paragraphs") or []
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        raise ContentError(f"{path}: 'translation.paragraphs' must be a list of source hashes")
    paragraphs = split_paragraphs(body)
    if len(hashes) != len(paragraphs):
        raise ContentError(
            f"{path}: {len(paragraphs)} paragraphs but {len(hashes)} source hashes in "
            "'translation.paragraphs' (write translations through the translator sheet)"
        )
    title, keywords = value.get("title"), value.get("keywords")
    return TranslationMap(
        title=str(title) if title else None,
        keywords=str(keywords) if keywords else None,
        paragraphs=tuple(hashes),
    )


def _required_str(meta: dict[str, Any], key: str, path: Path) -> str:
    value = meta.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{path}: front matter needs a non-empty '{key}'")
    return value.strip()


def _str_list(meta: dict[str, Any], key: str, path: Path) -> tuple[str, ...]:
    value = meta.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ContentError(f"{path}: '{key}' must be a list of strings")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _sources(value: Any, path: Path) -> tuple[Source, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ContentError(f"{path}: 'sources' must be a list")
    sources = []
    for item in value:
        if isinstance(item, str):
            sources.append(Source(item))
        elif isinstance(item, dict) and isinstance(item.get("title"), str):
            url, date, cite = item.get("url"), item.get("date"), item.get("cite") or []
            checked = item.get("checked")
            sources.append(
                Source(
                    item["title"],
                    str(url) if url else None,
                    str(date) if date else None,
                    tuple(str(c) for c in ([cite] if isinstance(cite, str) else cite)),
                    str(checked) if checked else None,
                )
            )
        else:
            raise ContentError(f"{path}: every source needs a title")
    return tuple(sources)
