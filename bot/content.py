"""Content: topic pages in `content/<lang>/<topic-id>.md`, Markdown with YAML front matter.

Vietnamese (`vi`) is the source language and has every topic; other languages hold the topics a
translator has written, and a missing one falls back to Vietnamese. The body may use a small
Markdown subset: paragraphs, `**bold**`, "- " bullets and "## " headings.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.chat import escape, text_length
from bot.search import SearchDoc

SOURCE_LANGUAGE = "vi"
CHANNEL_LIMITS = {"telegram": 4096, "zalo": 2000}
# A page is sent as title + paragraphs split at paragraph boundaries: each paragraph must fit
# the strictest channel with room for the title line and a fallback note.
PARAGRAPH_LIMIT = 1800
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.DOTALL)
_BOLD = re.compile(r"\*\*(.+?)\*\*")


class ContentError(ValueError):
    """A content file cannot be read."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a topic's facts come from."""

    title: str
    url: str | None = None


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

    def markup(self) -> str:
        """The body in Loa's reply markup (bold kept, headings bold, bullets as dots)."""
        lines = []
        for line in self.body.splitlines():
            stripped = line.strip()
            if stripped.startswith("## "):
                lines.append(f"**{_inline(stripped[3:])}**")
            elif stripped.startswith("- "):
                lines.append(f"• {_inline(stripped[2:])}")
            else:
                lines.append(_inline(stripped))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

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

    def __init__(self, topics: Iterable[Topic]) -> None:
        self._topics: dict[tuple[str, str], Topic] = {}
        for topic in topics:
            self._topics[(topic.id, topic.lang)] = topic
        self.ids = sorted(
            {tid for tid, lang in self._topics if lang == SOURCE_LANGUAGE},
            key=lambda tid: (self._topics[(tid, SOURCE_LANGUAGE)].order, tid),
        )

    @classmethod
    def load(cls, content_dir: Path) -> ContentLibrary:
        """Read every `content/<lang>/*.md` file."""
        return cls(read_topic(path) for path in sorted(content_dir.glob("*/*.md")))

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
        if own is not None:
            return Lookup(own, fallback=False)
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
        """Topic ids that have a page of their own in `lang`."""
        return [tid for tid in self.ids if (tid, lang) in self._topics]

    def search_docs(self) -> list[SearchDoc]:
        """Every page in every language, for the search index."""
        return [
            SearchDoc(
                topic_id=topic.id,
                lang=topic.lang,
                title=topic.title,
                keywords=topic.keywords,
                body=topic.body,
            )
            for topic in self._topics.values()
            if topic.id in self
        ]

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


def read_topic(path: Path) -> Topic:
    """Parse one content file; raise ContentError naming the file and the problem."""
    try:
        text = unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: {exc}") from exc
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise ContentError(f"{path}: no front matter between '---' lines")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: front matter is not YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise ContentError(f"{path}: front matter must be a mapping")
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
        body=match.group(2).strip(),
        path=path,
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
            url = item.get("url")
            sources.append(Source(item["title"], str(url) if url else None))
        else:
            raise ContentError(f"{path}: every source needs a title")
    return tuple(sources)
