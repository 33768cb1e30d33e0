"""One language's translations as units a translator works on, and how edits are applied.

A unit is a UI string (key: its English msgid) or a part of a topic (`<id>#title`,
`<id>#keywords`, `<id>#p<n>` for the n-th paragraph of the Vietnamese body). Translators work
from the Vietnamese text; every stored translation remembers a hash of the Vietnamese it was
made from (a `loa-source:` comment in the `.po`, the `translation` block of a topic file), so a
translation whose Vietnamese source changed since is "stale": shown as such in the sheet and,
for topic parts, replaced by current Vietnamese on the page (bot/content.py).

Edits (rows of a translator sheet) are applied with these rules, so an import never surprises:
an untouched row changes nothing; a translation somebody else changed since the export is not
overwritten; an empty cell never erases a translation (status "xóa" does); a row whose
Vietnamese paragraph has changed since the export is refused; and every translation is checked
(placeholders, length for both channels, markup) before anything is written.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from babel.messages.catalog import Catalog, Message

from bot.content.topics import (
    CHANNEL_LIMITS,
    PARAGRAPH_LIMIT,
    SOURCE_LANGUAGE,
    ContentLibrary,
    Topic,
    align,
    markup_of,
    read_topic,
    source_hash,
    split_paragraphs,
)
from bot.core.chat import fold, text_length
from bot.core.i18n import DOMAIN, Catalogs, load_languages
from bot.translations import catalogs

UI = "ui"
CONTENT = "content"
SOURCE_COMMENT = "loa-source: "
NOTES_FILE = "translator-notes.yaml"
# A UI string must fit one message on the strictest channel (Zalo: 2000 UTF-16 units).
UI_LIMIT = min(CHANNEL_LIMITS.values())
TITLE_LIMIT = 200
KEYWORD_LIMIT = 100


class Status(StrEnum):
    """A unit's state, in the words translators read and type (they work in Vietnamese)."""

    translated = "đã dịch"
    missing = "chưa dịch"
    stale = "cần xem lại"
    delete = "xóa"


# Accepted spellings of a status, with or without accents, in Vietnamese or English.
STATUS_WORDS: dict[str, Status] = {
    fold(word): status
    for status, words in {
        Status.translated: (Status.translated.value, "translated", "ok", "xong"),
        Status.missing: (Status.missing.value, "missing"),
        Status.stale: (Status.stale.value, "stale"),
        Status.delete: (Status.delete.value, "delete"),
    }.items()
    for word in words
}


def parse_status(text: str) -> Status | None:
    """The status a cell names (None for an empty cell); ValueError for an unknown word."""
    folded = fold(text)
    if not folded:
        return None
    if folded not in STATUS_WORDS:
        raise ValueError(text)
    return STATUS_WORDS[folded]


def normalize(text: str) -> str:
    """A cell's text as stored: NFC, Unix line ends, no surrounding blanks."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def text_hash(text: str) -> str:
    """Fingerprint of a translation or note as exported ("" for none)."""
    text = normalize(text)
    return source_hash(text) if text else ""


@dataclass(frozen=True, slots=True)
class Unit:
    """One thing to translate, with its current Vietnamese and its current translation."""

    sheet: str
    key: str
    source: str
    translation: str
    translated_from: str | None
    note: str = ""
    # Guidance for the translator as (kind, value): ("placeholders", "{name}"), ("max", "200")…
    hint: tuple[tuple[str, str], ...] = ()

    @property
    def source_hash(self) -> str:
        """Hash of the current Vietnamese source."""
        return source_hash(self.source)

    @property
    def status(self) -> Status:
        """Missing, stale (its Vietnamese changed since) or translated."""
        if not self.translation:
            return Status.missing
        if self.translated_from is not None and self.translated_from != self.source_hash:
            return Status.stale
        return Status.translated

    @property
    def topic_id(self) -> str:
        """The topic of a content unit."""
        return self.key.split("#", 1)[0]

    @property
    def part(self) -> str:
        """ "title", "keywords" or "p<n>" of a content unit."""
        return self.key.split("#", 1)[1]


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of Loa a language has: UI strings, topics, recordings."""

    code: str
    name: str
    label: str
    ui_translated: int
    ui_total: int
    ui_stale: int
    topics_translated: int
    topics_partial: int
    topics_total: int
    recordings: int

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data."""
        return {
            "language": self.code,
            "name": self.name,
            "label": self.label,
            "ui": {
                "translated": self.ui_translated,
                "total": self.ui_total,
                "stale": self.ui_stale,
            },
            "topics": {
                "translated": self.topics_translated,
                "partial": self.topics_partial,
                "total": self.topics_total,
            },
            "audio": {"recordings": self.recordings, "topics": self.topics_total},
        }


# --- reading the current state ------------------------------------------------------------


def po_path(locales_dir: Path, lang: str) -> Path:
    """Where a language's catalog lives."""
    return locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_notes(locales_dir: Path, lang: str) -> dict[str, dict[str, str]]:
    """Translators' notes of a language: {"ui": {msgid: note}, "content": {key: note}}."""
    path = locales_dir / lang / NOTES_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    raw = raw if isinstance(raw, dict) else {}
    return {
        sheet: {str(k): str(v) for k, v in (raw.get(sheet) or {}).items() if v}
        for sheet in (UI, CONTENT)
    }


def _source_of(message: Message) -> str | None:
    for comment in message.user_comments:
        if comment.startswith(SOURCE_COMMENT):
            return comment[len(SOURCE_COMMENT) :].strip()
    return None


def ui_units(locales_dir: Path, lang: str, notes: dict[str, str]) -> list[Unit]:
    """Every UI string of the template, with its Vietnamese and its translation in `lang`."""
    template = catalogs.read(locales_dir / f"{DOMAIN}.pot")
    vi = catalogs.read(po_path(locales_dir, SOURCE_LANGUAGE))
    path = po_path(locales_dir, lang)
    own = catalogs.read(path) if path.exists() else Catalog(locale=None, domain=DOMAIN)
    units = []
    for message in template:
        if not message.id or not isinstance(message.id, str):
            continue
        vi_message = vi.get(message.id)
        source = str(vi_message.string) if vi_message and vi_message.string else message.id
        mine = own.get(message.id)
        usable = mine is not None and not mine.fuzzy and isinstance(mine.string, str)
        units.append(
            Unit(
                sheet=UI,
                key=message.id,
                source=source,
                translation=normalize(str(mine.string)) if usable and mine else "",
                translated_from=_source_of(mine) if usable and mine else None,
                note=notes.get(message.id, ""),
                hint=_ui_hint(message),
            )
        )
    return units


def _ui_hint(message: Message) -> tuple[tuple[str, str], ...]:
    msgid = str(message.id)
    hints = [("max", str(UI_LIMIT))]
    names = sorted(catalogs.placeholders(msgid))
    if names:
        hints.append(("placeholders", " ".join("{" + n + "}" for n in names)))
    if "|" in msgid:
        hints.append(("words", "|"))
    if "**" in msgid:
        hints.append(("bold", "**"))
    if message.auto_comments:
        hints.append(("developer", " ".join(message.auto_comments)))
    return tuple(hints)


@dataclass(slots=True)
class TopicState:
    """A topic's translation as slots over the Vietnamese parts (text, source hash) or None."""

    source: Topic
    title: tuple[str, str | None] | None = None
    keywords: tuple[str, str | None] | None = None
    paragraphs: list[tuple[str, str | None] | None] = field(default_factory=list)
    dropped: int = 0

    @property
    def vi_paragraphs(self) -> list[str]:
        """The current Vietnamese paragraphs."""
        return split_paragraphs(self.source.body)


def topic_state(source: Topic, own: Topic | None) -> TopicState:
    """Place a translation file's parts on the current Vietnamese paragraphs.

    Parts match their Vietnamese source by hash; a part whose source changed since is placed,
    as stale, in the gap between its matched neighbours; one that fits nowhere (its Vietnamese
    paragraph was deleted) is dropped when the file is next written.
    """
    vi_paragraphs = split_paragraphs(source.body)
    state = TopicState(source, paragraphs=[None] * len(vi_paragraphs))
    if own is None:
        return state
    own_paragraphs = split_paragraphs(own.body)
    if own.translation is None:
        # Written by hand without source hashes: taken as complete, paragraph by paragraph.
        state.title = (own.title, None)
        state.keywords = (", ".join(own.keywords), None) if own.keywords else None
        for i, text in enumerate(own_paragraphs[: len(vi_paragraphs)]):
            state.paragraphs[i] = (text, None)
        state.dropped = max(0, len(own_paragraphs) - len(vi_paragraphs))
        return state
    meta = own.translation
    if meta.title:
        state.title = (own.title, meta.title)
    if meta.keywords and own.keywords:
        state.keywords = (", ".join(own.keywords), meta.keywords)
    mapping = align([source_hash(p) for p in vi_paragraphs], meta.paragraphs)
    placed = {j: i for i, j in mapping.items()}
    for i, j in mapping.items():
        state.paragraphs[i] = (own_paragraphs[j], meta.paragraphs[j])
    for j, text in enumerate(own_paragraphs):
        if j in placed:
            continue
        before = max((placed[k] for k in placed if k < j), default=-1)
        after = min((placed[k] for k in placed if k > j), default=len(vi_paragraphs))
        free = [i for i in range(before + 1, after) if state.paragraphs[i] is None]
        if free:
            state.paragraphs[free[0]] = (text, meta.paragraphs[j])
            placed[j] = free[0]
        else:
            state.dropped += 1
    return state


def vi_topics(content_dir: Path) -> list[Topic]:
    """The Vietnamese topics in menu order."""
    topics = [read_topic(path) for path in sorted((content_dir / SOURCE_LANGUAGE).glob("*.md"))]
    return sorted(topics, key=lambda t: (t.order, t.id))


def own_topic(content_dir: Path, lang: str, topic_id: str) -> Topic | None:
    """A language's translation file of a topic, if there is one."""
    path = content_dir / lang / f"{topic_id}.md"
    return read_topic(path) if path.exists() else None


def content_units(content_dir: Path, lang: str, notes: dict[str, str]) -> list[Unit]:
    """Every part of every topic, with its Vietnamese and its translation in `lang`."""
    units = []
    for source in vi_topics(content_dir):
        state = topic_state(source, own_topic(content_dir, lang, source.id))
        tid = source.id
        title_hint = (("max", str(TITLE_LIMIT)),)
        units.append(_content_unit(tid, "title", source.title, state.title, title_hint, notes))
        if source.keywords:
            keywords = ", ".join(source.keywords)
            kw_hint = (("keywords", ","),)
            units.append(_content_unit(tid, "keywords", keywords, state.keywords, kw_hint, notes))
        for n, (vi, slot) in enumerate(zip(state.vi_paragraphs, state.paragraphs, strict=True)):
            hint = _paragraph_hint(vi)
            units.append(_content_unit(tid, f"p{n + 1}", vi, slot, hint, notes))
    return units


def _content_unit(
    topic_id: str,
    part: str,
    vi: str,
    slot: tuple[str, str | None] | None,
    hint: tuple[tuple[str, str], ...],
    notes: dict[str, str],
) -> Unit:
    key = f"{topic_id}#{part}"
    return Unit(
        sheet=CONTENT,
        key=key,
        source=vi,
        translation=slot[0] if slot else "",
        translated_from=slot[1] if slot else None,
        note=notes.get(key, ""),
        hint=hint,
    )


def _paragraph_hint(vi: str) -> tuple[tuple[str, str], ...]:
    hints = [("max", str(PARAGRAPH_LIMIT))]
    if vi.startswith("## "):
        hints.append(("heading", "##"))
    bullets = _bullets(vi)
    if bullets:
        hints.append(("bullets", str(bullets)))
    if "**" in vi:
        hints.append(("bold", "**"))
    return tuple(hints)


def load_units(locales_dir: Path, content_dir: Path, lang: str) -> list[Unit]:
    """Every unit of a language: UI strings, then topic parts in menu order."""
    notes = read_notes(locales_dir, lang)
    return [
        *ui_units(locales_dir, lang, notes[UI]),
        *content_units(content_dir, lang, notes[CONTENT]),
    ]


# --- checking one translation -------------------------------------------------------------


def _bullets(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip().startswith("- "))


def _bold_unbalanced(text: str) -> bool:
    unescaped = text.replace("\\\\", "").replace("\\*", "")
    return unescaped.count("**") % 2 == 1


def _format_fields(text: str) -> set[str] | None:
    """Names of the `{fields}` str.format would fill; None if it would fail on the braces."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


def problems(unit: Unit, text: str) -> list[str]:
    """Why `text` cannot be stored as the translation of `unit` (empty: it can)."""
    found: list[str] = []
    if unit.sheet == UI:
        wanted = catalogs.placeholders(unit.key)
        fields = _format_fields(text)
        if fields is None:
            found.append("unbalanced { or } (placeholders are written {name})")
        elif catalogs.placeholders(text) != wanted or fields != wanted:
            shown = " ".join("{" + n + "}" for n in sorted(wanted)) or "none"
            found.append(f"placeholders differ from the original (keep exactly: {shown})")
        if text_length(text) > UI_LIMIT:
            found.append(
                f"{text_length(text)} characters; at most {UI_LIMIT} (Zalo's message limit)"
            )
        if _bold_unbalanced(text):
            found.append("unbalanced ** (bold text is written **like this**)")
        return found
    part = unit.part
    if part == "title":
        if "\n" in text:
            found.append("a title is one line")
        if text_length(text) > TITLE_LIMIT:
            found.append(f"{text_length(text)} characters; a title has at most {TITLE_LIMIT}")
        if "*" in text:
            found.append("no * in a title")
        return found
    if part == "keywords":
        for word in (w.strip() for w in text.split(",")):
            if "\n" in word or text_length(word) > KEYWORD_LIMIT:
                found.append(f"a keyword is one line of at most {KEYWORD_LIMIT} characters")
                break
        return found
    if len(split_paragraphs(text)) != 1:
        found.append("one paragraph only: no empty line inside")
    if text.startswith("## ") != unit.source.startswith("## "):
        found.append("a heading (## at the start) must stay a heading, and text stay text")
    if _bullets(text) != _bullets(unit.source):
        found.append(
            f"{_bullets(text)} bullet lines ('- '); the Vietnamese has {_bullets(unit.source)}"
        )
    if _bold_unbalanced(text) or "*" in text.replace("**", ""):
        found.append("unbalanced ** or a stray * (bold text is written **like this**)")
    size = text_length(markup_of(text))
    if size > PARAGRAPH_LIMIT:
        found.append(
            f"{size} characters; a paragraph has at most {PARAGRAPH_LIMIT} so it fits one "
            "message on Zalo and Telegram (split it in the Vietnamese first)"
        )
    return found


# --- applying edits -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edit:
    """One row of a translator sheet, with what the export put in its hidden columns."""

    sheet: str
    key: str
    row: int
    translation: str
    status: str
    note: str
    source_hash: str
    exported_translation: str
    exported_note: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one row."""

    sheet: str
    key: str
    row: int
    what: str


@dataclass
class ImportReport:
    """What an import changed, refused (and why), and left as it was."""

    lang: str
    changed: list[Outcome] = field(default_factory=list)
    refused: list[Outcome] = field(default_factory=list)
    unchanged: int = 0
    files: list[Path] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    """Decided changes, grouped by where they are stored."""

    ui: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    topics: dict[str, dict[str, tuple[str, str | None] | None]] = field(default_factory=dict)


def apply_edits(
    locales_dir: Path,
    content_dir: Path,
    lang: str,
    edits: Iterable[Edit],
    *,
    dry_run: bool = False,
) -> ImportReport:
    """Check every edit, then write the accepted ones to the `.po`, topic files and notes."""
    units = {(u.sheet, u.key): u for u in load_units(locales_dir, content_dir, lang)}
    report = ImportReport(lang)
    pending = _Pending()
    seen: set[tuple[str, str]] = set()
    targets: set[tuple[str, str]] = set()
    for edit in edits:
        where = (edit.sheet, edit.key)

        def refuse(reason: str, edit: Edit = edit) -> None:
            report.refused.append(Outcome(edit.sheet, edit.key, edit.row, reason))

        if where in seen:
            refuse("the same key appears twice in the sheet")
            continue
        seen.add(where)
        unit = units.get(where)
        if unit is None:
            refuse("unknown key (not a UI string or topic part Loa has now)")
            continue
        try:
            status = parse_status(edit.status)
        except ValueError:
            refuse(
                f"unknown status {edit.status!r} (use: " + ", ".join(s.value for s in Status) + ")"
            )
            continue
        note_changed = text_hash(edit.note) != edit.exported_note and normalize(
            edit.note
        ) != normalize(unit.note)
        verdict = _decide(unit, edit, status, units)
        if isinstance(verdict, str):
            refuse(verdict)
            if note_changed:
                pending.notes[where] = normalize(edit.note)
                report.changed.append(Outcome(edit.sheet, edit.key, edit.row, "note changed"))
            continue
        if verdict is not None:
            target, value, what = verdict
            if (target.sheet, target.key) in targets:
                refuse(f"another row of this sheet already changes {target.key}")
                continue
            targets.add((target.sheet, target.key))
            if target.sheet == UI:
                pending.ui[target.key] = value if value is not None else ("", None)
            else:
                pending.topics.setdefault(target.topic_id, {})[target.part] = value
            report.changed.append(Outcome(edit.sheet, edit.key, edit.row, what))
        if note_changed:
            pending.notes[where] = normalize(edit.note)
            if verdict is None:
                report.changed.append(Outcome(edit.sheet, edit.key, edit.row, "note changed"))
        elif verdict is None:
            report.unchanged += 1
    if not dry_run:
        _write(locales_dir, content_dir, lang, pending, report)
    return report


_Verdict = tuple[Unit, tuple[str, str | None] | None, str] | str | None


def _decide(
    unit: Unit, edit: Edit, status: Status | None, units: dict[tuple[str, str], Unit]
) -> _Verdict:
    """(target unit, new (text, source hash) or None to delete, what) | refusal | None."""
    if not edit.source_hash:
        return "the hidden columns are missing: import sheets exported by `loa i18n export`"
    target = unit
    if (
        unit.sheet == CONTENT
        and unit.part.startswith("p")
        and edit.source_hash != unit.source_hash
    ):
        # Paragraph numbers shift when the Vietnamese gains or loses a paragraph: follow the
        # paragraph the translator saw, by its hash.
        moved = [
            u
            for u in units.values()
            if u.sheet == CONTENT
            and u.topic_id == unit.topic_id
            and u.part.startswith("p")
            and u.source_hash == edit.source_hash
        ]
        target = moved[0] if len(moved) == 1 else unit
    text = normalize(edit.translation)
    if status is Status.delete:
        if not target.translation:
            return None
        if text_hash(target.translation) != edit.exported_translation:
            return "changed by someone else since this sheet was exported; export it again"
        return target, None, "translation deleted"
    if text == target.translation:
        confirming = (
            status is Status.translated
            and target.status is Status.stale
            and edit.source_hash == target.source_hash
        )
        if confirming:
            return target, (text, target.source_hash), "confirmed for the new Vietnamese"
        return None
    if text_hash(text) == edit.exported_translation:
        return None  # untouched in the sheet; someone stored a newer translation since
    if text_hash(target.translation) != edit.exported_translation:
        return "changed by someone else since this sheet was exported; export it again"
    if not text:
        return (
            "empty: this would erase the existing translation (write "
            f"'{Status.delete.value}' in the status column to delete it)"
        )
    is_paragraph = target.sheet == CONTENT and target.part.startswith("p")
    if is_paragraph and edit.source_hash != target.source_hash:
        return (
            "the Vietnamese paragraph changed since this sheet was exported; "
            "export a new sheet and translate the new text"
        )
    found = problems(target, text)
    if found:
        return "; ".join(found)
    what = "translation changed" if target.translation else "translation added"
    if target is not unit:
        what += f" (the Vietnamese paragraph is now {target.part})"
    return target, (text, edit.source_hash), what


def _write(
    locales_dir: Path, content_dir: Path, lang: str, pending: _Pending, report: ImportReport
) -> None:
    if pending.ui:
        path = po_path(locales_dir, lang)
        if not path.exists():
            catalogs.update(locales_dir, [lang])
        catalog = catalogs.read(path)
        template = catalogs.read(locales_dir / f"{DOMAIN}.pot")
        for msgid, (text, translated_from) in pending.ui.items():
            message = catalog.get(msgid)
            if message is None:
                original = template[msgid]
                message = catalog.add(
                    msgid, locations=original.locations, auto_comments=original.auto_comments
                )
            message.string = text
            message.flags.discard("fuzzy")
            comments = [c for c in message.user_comments if not c.startswith(SOURCE_COMMENT)]
            if text and translated_from:
                comments.append(SOURCE_COMMENT + translated_from)
            message.user_comments = comments
        if catalogs.write_catalog(path, catalog, lang):
            report.files.append(path)
    for topic_id, parts in pending.topics.items():
        path = content_dir / lang / f"{topic_id}.md"
        source = read_topic(content_dir / SOURCE_LANGUAGE / f"{topic_id}.md")
        state = topic_state(source, read_topic(path) if path.exists() else None)
        for part, value in parts.items():
            if part == "title":
                state.title = value
            elif part == "keywords":
                state.keywords = value
            else:
                state.paragraphs[int(part[1:]) - 1] = value
        if state.dropped:
            report.dropped.append(
                f"{topic_id}: {state.dropped} translated paragraph(s) of Vietnamese text that "
                "no longer exists"
            )
        if _write_topic(path, state):
            report.files.append(path)
    if pending.notes:
        notes = read_notes(locales_dir, lang)
        for (sheet, key), note in pending.notes.items():
            notes[sheet].pop(key, None)
            if note:
                notes[sheet][key] = note
        path = locales_dir / lang / NOTES_FILE
        if _write_if_changed(path, _render_notes(notes)):
            report.files.append(path)


def render_topic(state: TopicState) -> str | None:
    """A translation file's text (None: nothing translated, so no file)."""
    filled = [slot for slot in state.paragraphs if slot is not None]
    if state.title is None and state.keywords is None and not filled:
        return None
    source = state.source
    meta: dict[str, Any] = {
        "id": source.id,
        # The title is required; an untranslated one is the Vietnamese (its hash stays null).
        "title": state.title[0] if state.title else source.title,
        "parent": source.parent,
    }
    if state.keywords:
        meta["keywords"] = [w.strip() for w in state.keywords[0].split(",") if w.strip()]
    meta["translation"] = {
        "title": state.title[1] if state.title else None,
        "keywords": state.keywords[1] if state.keywords else None,
        "paragraphs": [slot[1] or source_hash(vi) for slot, vi in _filled(state)],
    }
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    body = "\n\n".join(slot[0] for slot, _ in _filled(state))
    return f"---\n{front}---\n{body}\n"


def _filled(state: TopicState) -> list[tuple[tuple[str, str | None], str]]:
    return [
        (slot, vi)
        for slot, vi in zip(state.paragraphs, state.vi_paragraphs, strict=True)
        if slot is not None
    ]


def _write_topic(path: Path, state: TopicState) -> bool:
    text = render_topic(state)
    if text is None:
        if path.exists():
            path.unlink()
            return True
        return False
    return _write_if_changed(path, text.encode("utf-8"))


def _render_notes(notes: dict[str, dict[str, str]]) -> bytes:
    kept = {sheet: dict(sorted(found.items())) for sheet, found in notes.items() if found}
    if not kept:
        return b""
    header = "# Translators' notes, written through the translator sheet (loa i18n import).\n"
    body = yaml.safe_dump(kept, allow_unicode=True, sort_keys=False, width=10_000)
    return (header + body).encode("utf-8")


def _write_if_changed(path: Path, data: bytes) -> bool:
    if not data:
        if path.exists():
            path.unlink()
            return True
        return False
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


# --- coverage -----------------------------------------------------------------------------


def coverage(
    locales_dir: Path,
    content_dir: Path,
    codes: Sequence[str],
    *,
    library: ContentLibrary | None = None,
) -> list[Coverage]:
    """Every configured language's coverage, as the bot itself sees its files."""
    loaded = Catalogs(locales_dir, load_languages(locales_dir, tuple(codes)))
    library = library or ContentLibrary.load(content_dir)
    result = []
    for language in loaded.languages:
        code = language.code
        ui = ui_units(locales_dir, code, {})
        partial = [
            tid
            for tid in library.ids
            if (p := library.progress(tid, code)) is not None and 0 < p.done < p.total
        ]
        result.append(
            Coverage(
                code=code,
                name=language.name,
                label=language.label,
                ui_translated=sum(1 for u in ui if u.translation),
                ui_total=len(ui),
                ui_stale=sum(1 for u in ui if u.status is Status.stale),
                topics_translated=len(library.translated(code)),
                topics_partial=len(partial),
                topics_total=len(library.ids),
                recordings=len(library.recorded(code)),
            )
        )
    return result
