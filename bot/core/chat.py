"""The channel-neutral vocabulary: what a user sent (`Incoming`) and what Loa answers (`Reply`).

Reply text uses a tiny markup that every adapter renders: `**bold**`, and a backslash escaping
`*` and `\\`. Anything a user typed must pass through `escape()` before it is quoted in a reply.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from html import escape as html_escape
from pathlib import Path
from typing import Any

CHOICE_VERSION = "v1"
MAX_CHOICE_BYTES = 64  # Telegram's callback_data limit, the strictest of our channels


class Kind(StrEnum):
    """What an incoming event carries."""

    text = "text"
    command = "command"
    choice = "choice"
    photo = "photo"
    location = "location"
    document = "document"
    voice = "voice"
    sticker = "sticker"
    unsupported = "unsupported"


class AttachmentKind(StrEnum):
    """Media a reply can carry."""

    photo = "photo"
    audio = "audio"
    voice = "voice"
    document = "document"


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A file a user sent, already fetched by the channel adapter into a local spool file.

    Handlers never talk to a channel: adapters download at once (Zalo's CDN links expire) and
    hand over `path`. When a file could not be taken (too large, download failed), `path` is
    None and `problem` says why, so the handler can tell the user in their language.
    """

    ref: str
    path: str | None = None
    size: int | None = None
    mime: str | None = None
    file_name: str | None = None
    problem: str = ""


@dataclass(frozen=True, slots=True)
class Location:
    """A point the user shared."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Incoming:
    """One update from one user on one channel, already translated out of the channel's terms."""

    channel: str
    user_id: str
    update_id: str
    kind: Kind
    text: str = ""
    command: str = ""
    args: str = ""
    choice: str = ""
    media: tuple[MediaRef, ...] = ()
    location: Location | None = None
    display_name: str = ""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The choice payloads of the message this one replies to (Telegram's "reply"), so a reply
    # to a message with buttons reaches the feature that sent them.
    reply_to: tuple[str, ...] = ()

    @classmethod
    def from_text(
        cls, channel: str, user_id: str, update_id: str, text: str, **extra: object
    ) -> Incoming:
        """Build a text or command event from what the user typed."""
        command, args = parse_command(text)
        if command:
            return cls(
                channel,
                user_id,
                update_id,
                Kind.command,
                text=text,
                command=command,
                args=args,
                **extra,  # type: ignore[arg-type]
            )
        return cls(channel, user_id, update_id, Kind.text, text=text, **extra)  # type: ignore[arg-type]

    def as_choice(self, payload: str) -> Incoming:
        """The same event, understood as picking the choice `payload`."""
        return dataclasses.replace(self, kind=Kind.choice, choice=payload)


_COMMAND = re.compile(r"^/([A-Za-z][A-Za-z0-9_]{0,31})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)


def parse_command(text: str) -> tuple[str, str]:
    """Split "/cmd@bot args" into ("cmd", "args"); ("", "") when the text is no command."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return "", ""
    return match.group(1).lower(), (match.group(2) or "").strip()


@dataclass(frozen=True, slots=True)
class Choice:
    """A button (or a numbered line where the channel has no buttons)."""

    payload: str
    label: str

    def __post_init__(self) -> None:
        if len(self.payload.encode()) > MAX_CHOICE_BYTES:
            raise ValueError(f"choice payload over {MAX_CHOICE_BYTES} bytes: {self.payload}")


def choice(route: str, *args: str | int, label: str) -> Choice:
    """A versioned choice: payload "v1:route:arg…", so stale buttons are recognised."""
    return Choice(":".join([CHOICE_VERSION, route, *map(str, args)]), label)


def parse_choice(payload: str) -> tuple[str, list[str]] | None:
    """Return (route, args) of a current-version payload, or None for a stale or foreign one."""
    parts = payload.split(":")
    if len(parts) < 2 or parts[0] != CHOICE_VERSION or not parts[1]:
        return None
    return parts[1], parts[2:]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A local file sent with a reply.

    `alternatives` hold the same media in other encodings, because channels take different
    ones: a recording is Ogg Opus for Telegram's voice notes and AAC (by URL) for Zalo. A
    channel sends `variant(<the suffixes it can use, best first>)`. `duration` in seconds, when
    known, lets a channel show the length before the download.
    """

    kind: AttachmentKind
    path: Path
    caption: str = ""
    alternatives: tuple[Path, ...] = ()
    duration: int | None = None

    def variant(self, *suffixes: str) -> Path | None:
        """The first file (path, then alternatives) with one of `suffixes`, in their order."""
        files = (self.path, *self.alternatives)
        for suffix in suffixes:
            for file in files:
                if file.suffix.lower() == suffix.lower():
                    return file
        return None


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show the user: text in Loa's markup, optional choices and media."""

    text: str
    choices: tuple[Choice, ...] = ()
    attachment: Attachment | None = None

    def with_choices(self, *choices: Choice) -> Reply:
        """The same text with these choices."""
        return dataclasses.replace(self, choices=tuple(choices))


# --- markup -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone other than the sender (for notifications): a channel identity."""

    channel: str
    user_id: str


_ESCAPABLE = re.compile(r"([\\*])")


def escape(text: str) -> str:
    """Make user text safe to embed in reply markup."""
    return _ESCAPABLE.sub(r"\\\1", text)


def spans(markup: str) -> Iterator[tuple[str, bool]]:
    """Yield (text, bold) runs of markup; an unclosed `**` runs to the end in bold."""
    bold = False
    buf: list[str] = []
    i = 0
    while i < len(markup):
        ch = markup[i]
        if ch == "\\" and i + 1 < len(markup) and markup[i + 1] in "\\*":
            buf.append(markup[i + 1])
            i += 2
            continue
        if markup.startswith("**", i):
            if buf:
                yield "".join(buf), bold
                buf = []
            bold = not bold
            i += 2
            continue
        buf.append(ch)
        i += 1
    if buf:
        yield "".join(buf), bold


def to_plain(markup: str) -> str:
    """Render markup as plain text (console, Zalo)."""
    return "".join(text for text, _ in spans(markup))


def to_html(markup: str) -> str:
    """Render markup as Telegram HTML, escaping everything else."""
    out = []
    for text, bold in spans(markup):
        safe = html_escape(text, quote=False)
        out.append(f"<b>{safe}</b>" if bold else safe)
    return "".join(out)


def fold(text: str) -> str:
    """Text for matching typed words: lower case, no accents (đ → d), single spaces."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).casefold().split())


def text_length(text: str) -> int:
    """Length as the Bot APIs count it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(markup: str, limit: int) -> list[str]:
    """Split markup into parts of at most `limit` units, at paragraphs, then lines, then words.

    Markup is never shorter than what it renders to, so a part that fits here fits rendered too.
    """
    if text_length(markup) <= limit:
        return [markup]
    parts: list[str] = []
    current = ""
    for piece in _pieces(markup, limit):
        joined = f"{current}\n\n{piece}" if current else piece
        if text_length(joined) <= limit:
            current = joined
        else:
            if current:
                parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts


def _pieces(markup: str, limit: int) -> Iterator[str]:
    """Paragraphs no longer than `limit`, cutting oversized ones at lines, words, characters."""
    for paragraph in re.split(r"\n\s*\n", markup.strip()):
        if text_length(paragraph) <= limit:
            yield paragraph
            continue
        yield from _hard_split(paragraph, limit)


def _hard_split(paragraph: str, limit: int) -> Iterator[str]:
    current = ""
    for token in re.split(r"(\s+)", paragraph):
        while text_length(token) > limit:
            if current:
                yield current
                current = ""
            cut = limit
            while text_length(token[:cut]) > limit:
                cut -= 1
            yield token[:cut]
            token = token[cut:]
        if text_length(current + token) > limit:
            if current.strip():
                yield current.rstrip()
            current = token.lstrip()
        else:
            current += token
    if current.strip():
        yield current.strip()


# Characters no database or platform takes: NUL (PostgreSQL text refuses it) and lone UTF-16
# surrogates (a JSON "\ud800" escape decodes to one; UTF-8 cannot encode it).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Real updates nest a few levels; anything deeper is dropped rather than walked.
UPDATE_DEPTH = 32


def clean_update(value: Any, depth: int = 0) -> Any:
    """A platform's decoded JSON with every string storable: NUL removed, a lone surrogate
    replaced by U+FFFD; subtrees nested deeper than UPDATE_DEPTH become None."""
    if isinstance(value, str):
        return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)
    if depth >= UPDATE_DEPTH and isinstance(value, dict | list):
        return None
    if isinstance(value, dict):
        return {clean_update(k, depth): clean_update(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_update(item, depth + 1) for item in value]
    return value
