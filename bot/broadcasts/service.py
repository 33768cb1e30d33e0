"""Broadcasts: an announcement (or a poll) to an audience, one outbox row per recipient.

Composing (in chat, handlers/broadcast.py, or `loa broadcast create`) ends in `create`, which
resolves the audience, skips people who sent /stop or blocked the bot (counting them), and
queues each recipient's copy rendered in their language, in the outbox's bulk lane, under the
key `bc:<id>:<user>`: each person gets it once, whatever restarts or second workers happen.
Nothing goes out in the quiet hours (a send time in them moves to the morning). The figures
(`figures`) are read back from those rows; `report_done` tells the author when a broadcast has
gone out to everyone, and sends a poll's results when it closes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from bot.core import i18n
from bot.core.chat import Attachment, AttachmentKind, Choice, Reply, choice, escape
from bot.core.config import Settings
from bot.core.i18n import Catalogs, _, format_day
from bot.delivery.outbox import OPTED_OUT, Lane, next_morning, to_payload
from db.models import Broadcast, BroadcastKind, OutboxState, Role, User
from db.org import OrgMap
from db.repositories import Repos
from db.repositories.broadcasts import recipient_key

TEXT_MAX = 1500  # Zalo takes 2000 characters; the header and footer need the rest
OPTION_MAX = 100
MIN_OPTIONS, MAX_OPTIONS = 2, 6
ROLES = tuple(role.value for role in Role)


class BroadcastError(ValueError):
    """A broadcast or poll cannot be made as asked; the message says why (in English)."""


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a broadcast is for: everyone, a unit (and the units under it), a language, a role."""

    kind: str  # "all", "unit", "language" or "role"
    value: str = ""

    def __str__(self) -> str:
        return self.kind if self.kind == "all" else f"{self.kind}:{self.value}"

    @classmethod
    def parse(cls, text: str, org: OrgMap, languages: Sequence[str]) -> Audience:
        """`all`, `unit:ID`, `language:CODE` or `role:ROLE`, checked against the map."""
        kind, _sep, value = text.strip().partition(":")
        kind, value = kind.strip().lower(), value.strip()
        if kind == "all" and not value:
            return cls("all")
        if kind == "unit":
            resolved = org.resolve(value).unit if value else None
            if resolved is None:
                raise BroadcastError(f"unknown unit {value!r}: `loa org show` lists the units")
            return cls("unit", resolved.id)
        if kind == "language":
            if value not in languages:
                raise BroadcastError(
                    f"unknown language {value!r}: one of {', '.join(languages)} (LANGUAGES)"
                )
            return cls("language", value)
        if kind == "role":
            if value not in ROLES:
                raise BroadcastError(f"unknown role {value!r}: one of {', '.join(ROLES)}")
            return cls("role", value)
        raise BroadcastError(
            f"expected all, unit:ID, language:CODE or role:ROLE, not {text.strip()!r}"
        )


def subtree(org: OrgMap, unit_id: str) -> set[str]:
    """A unit and every unit under it."""
    found, todo = {unit_id}, [unit_id]
    while todo:
        for child in org.children(todo.pop()):
            if child.id not in found:
                found.add(child.id)
                todo.append(child.id)
    return found


@dataclass(frozen=True, slots=True)
class Draft:
    """A broadcast or poll as composed, before it is stored."""

    kind: BroadcastKind
    audience: Audience
    texts: Mapping[str, str]  # "vi" always; other languages optional
    photo_path: str | None = None
    options: tuple[str, ...] = ()
    send_at: datetime | None = None
    closes_at: datetime | None = None
    scope_unit_id: str | None = None  # an officer's unit: the audience stays inside it


def check(draft: Draft, settings: Settings, now: datetime) -> None:
    """Refuse a draft that cannot be sent as it is (texts, options, times)."""
    if not draft.texts.get(settings.default_language, "").strip():
        raise BroadcastError("the Vietnamese text is required")
    for code, text in draft.texts.items():
        if code not in settings.languages:
            raise BroadcastError(
                f"unknown language {code!r}: one of {', '.join(settings.languages)}"
            )
        if len(text) > TEXT_MAX:
            raise BroadcastError(f"the {code} text is over {TEXT_MAX} characters")
    if draft.kind is BroadcastKind.poll:
        if not MIN_OPTIONS <= len(draft.options) <= MAX_OPTIONS:
            raise BroadcastError(f"a poll needs {MIN_OPTIONS} to {MAX_OPTIONS} options")
        if any(not o.strip() or len(o) > OPTION_MAX for o in draft.options):
            raise BroadcastError(f"an option must be 1 to {OPTION_MAX} characters")
        opens = send_time(draft, settings, now)
        if draft.closes_at is None or draft.closes_at <= opens:
            raise BroadcastError("a poll must close after it is sent")
    if draft.send_at is not None and draft.send_at < now:
        raise BroadcastError("the send time is in the past")


def send_time(draft: Draft, settings: Settings, now: datetime) -> datetime:
    """When the copies go out: the time asked (or now), moved out of the quiet hours."""
    return next_morning(settings, max(draft.send_at or now, now))


@dataclass(frozen=True, slots=True)
class Reach:
    """Who an audience reaches now, and who it skips."""

    users: list[User]
    opted_out: int
    unreachable: int

    @property
    def total(self) -> int:
        """Everyone the audience matched."""
        return len(self.users) + self.opted_out + self.unreachable


@dataclass(frozen=True, slots=True)
class Figures:
    """How a broadcast's sending went; the counts add up to `recipients`."""

    recipients: int
    sent: int
    pending: int
    failed: int
    unreachable: int
    skipped_opted_out: int
    outside_window: int = 0  # channels with a reply window only (the Zalo OA)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The figures as `loa broadcast status --json` prints them."""
        return {
            "recipients": self.recipients,
            "sent": self.sent,
            "pending": self.pending,
            "failed": self.failed,
            "unreachable": self.unreachable,
            "skipped_opted_out": self.skipped_opted_out,
            "outside_window": self.outside_window,
            **self.extra,
        }


async def reach(repos: Repos, draft: Draft, org: OrgMap, settings: Settings) -> Reach:
    """The people a draft would be sent to; opted-out and unreachable ones counted apart."""
    units: set[str] | None = None
    if draft.audience.kind == "unit":
        units = subtree(org, draft.audience.value)
    if draft.scope_unit_id is not None:
        scope = subtree(org, draft.scope_unit_id)
        units = scope if units is None else units & scope
    matched = await repos.broadcasts.audience(
        unit_ids=units,
        language=draft.audience.value if draft.audience.kind == "language" else None,
        role=draft.audience.value if draft.audience.kind == "role" else None,
        default_language=settings.default_language,
    )
    unreachable = sum(1 for user in matched if user.unreachable)
    opted_out = sum(1 for user in matched if user.opted_out and not user.unreachable)
    users = [user for user in matched if not user.unreachable and not user.opted_out]
    return Reach(users, opted_out, unreachable)


def render(broadcast: Broadcast | Draft, broadcast_id: int, language: str, tz: tzinfo) -> Reply:
    """What one recipient reads, in `language` (call inside `i18n.use`)."""
    default = i18n.SOURCE_LANGUAGE
    texts = broadcast.texts
    body = escape(texts.get(language) or texts.get(default, ""))
    footer = _("To stop announcements and polls, send /stop.")
    photo = (
        Attachment(AttachmentKind.photo, Path(broadcast.photo_path))
        if broadcast.photo_path
        else None
    )
    if broadcast.kind == BroadcastKind.poll:
        closes = broadcast.closes_at
        assert closes is not None  # checked when the poll was made
        head = _("📊 **Poll**")
        ask = _(
            "Answer with one of the numbers below. You can change your answer until {time}."
        ).format(time=format_moment(closes, tz))
        choices: tuple[Choice, ...] = tuple(
            choice("pa", broadcast_id, n, label=option)
            for n, option in enumerate(broadcast.options, 1)
        )
        return Reply(f"{head}\n{body}\n\n{ask}\n\n{footer}", choices=choices, attachment=photo)
    head = _("📢 **Announcement**")
    return Reply(f"{head}\n{body}\n\n{footer}", attachment=photo)


def format_moment(at: datetime, tz: tzinfo) -> str:
    """ "08:00 on 06/12/2026" in local time."""
    local = at.astimezone(tz)
    return _("{time} on {day}").format(time=f"{local:%H:%M}", day=format_day(local))


async def create(
    repos: Repos,
    draft: Draft,
    *,
    author: User | None,
    settings: Settings,
    catalogs: Catalogs,
    org: OrgMap,
    now: datetime,
) -> Broadcast:
    """Store the broadcast and queue one copy per recipient (bulk lane, key `bc:<id>:<user>`)."""
    check(draft, settings, now)
    found = await reach(repos, draft, org, settings)
    at = send_time(draft, settings, now)
    broadcast = await repos.broadcasts.add(
        Broadcast(
            kind=draft.kind.value,
            author_id=author.id if author is not None else None,
            audience=str(draft.audience),
            scope_unit_id=draft.scope_unit_id,
            texts=dict(draft.texts),
            photo_path=draft.photo_path,
            options=list(draft.options),
            send_at=at,
            closes_at=draft.closes_at,
            recipients=found.total,
            skipped_opted_out=found.opted_out,
            skipped_unreachable=found.unreachable,
            created_at=now,
        )
    )
    rendered: dict[str, dict[str, Any]] = {}
    for user in found.users:
        language = user.language or settings.default_language
        if language not in rendered:
            with i18n.use(catalogs, language):
                rendered[language] = to_payload(
                    [render(broadcast, broadcast.id, language, settings.tz)]
                )
        await repos.outbox.enqueue(
            key=recipient_key(broadcast.id, user.id),
            user_id=user.id,
            kind=draft.kind.value if draft.kind is BroadcastKind.poll else "broadcast",
            payload=rendered[language],
            due_at=at,
            urgent=False,
            now=now,
            lane=Lane.bulk,
        )
    return broadcast


async def figures(repos: Repos, broadcast: Broadcast) -> Figures:
    """The broadcast's figures, from its recipients' outbox rows."""
    states = await repos.broadcasts.states(broadcast.id)

    def count(*wanted: OutboxState) -> int:
        names = {state.value for state in wanted}
        return sum(n for (state, _error), n in states.items() if state in names)

    opted_out_later = states.get((OutboxState.cancelled.value, OPTED_OUT), 0)
    return Figures(
        recipients=broadcast.recipients,
        sent=count(OutboxState.sent),
        pending=count(OutboxState.pending, OutboxState.sending),
        failed=count(OutboxState.failed, OutboxState.cancelled) - opted_out_later,
        unreachable=broadcast.skipped_unreachable + count(OutboxState.blocked),
        skipped_opted_out=broadcast.skipped_opted_out + opted_out_later,
        outside_window=count(OutboxState.outside_window),
    )


def figures_text(broadcast: Broadcast, numbers: Figures) -> str:
    """The figures as the author reads them in chat."""
    text = _(
        "Recipients: {recipients} · sent: {sent} · waiting: {pending} · unreachable: "
        "{unreachable} · failed: {failed} · skipped (opted out): {skipped}"
    ).format(skipped=numbers.skipped_opted_out, **asdict(numbers))
    if numbers.outside_window:
        text += " · " + _(
            "not sent, outside the Zalo OA's reply window (they have not written for too "
            "long): {count}"
        ).format(count=numbers.outside_window)
    return text
