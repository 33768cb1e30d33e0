"""Poll answers and results, and the messages that come back to a broadcast's author.

A recipient answers a poll by number (a button on Telegram, a typed number on Zalo); a later
answer replaces the earlier one until the poll closes. Results count the current answers by
option, by commune (the answerer's unit, rolled up to its commune) and by language. When a
broadcast has gone out to everyone, or a poll has closed, `report_done` queues one message to
its author: the final figures, or the results as a small table with a bar chart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from bot.broadcasts.service import figures, figures_text, format_moment
from bot.core.chat import Attachment, AttachmentKind, Reply, escape
from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.i18n import Catalogs, _
from bot.delivery.outbox import Lane, Rendering, queue_rendered
from db.models import Broadcast, BroadcastKind, PollAnswer, UnitKind, User
from db.org import OrgMap
from db.repositories import Repos
from db.repositories.broadcasts import recipient_key
from db.session import Database

UNKNOWN_UNIT = "unknown"


class PollError(ValueError):
    """An answer that cannot count; `reason` is "closed", "not_recipient" or "bad_option"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def commune_of(org: OrgMap, unit_id: str | None) -> str:
    """The commune a unit belongs to (itself, or its nearest commune above), for results."""
    if unit_id is None:
        return UNKNOWN_UNIT
    unit = org.get(unit_id)
    if unit is None:
        return unit_id
    if unit.kind is UnitKind.commune:
        return unit.id
    above = next((u for u in org.ancestors(unit_id) if u.kind is UnitKind.commune), None)
    return above.id if above is not None else unit.id


async def answer_poll(
    repos: Repos, poll: Broadcast, user: User, option: int, *, language: str, now: datetime
) -> bool:
    """Record `user`'s answer (1-based `option`); True for a first answer, False for a change."""
    if poll.kind != BroadcastKind.poll.value or not 1 <= option <= len(poll.options):
        raise PollError("bad_option")
    if poll.closes_at is not None and now >= poll.closes_at:
        raise PollError("closed")
    if not await repos.outbox.existing([recipient_key(poll.id, user.id)]):
        raise PollError("not_recipient")
    return await repos.broadcasts.answer(
        broadcast_id=poll.id,
        user_id=user.id,
        option=option,
        unit_id=user.unit_id,
        language=language,
        now=now,
    )


@dataclass(frozen=True, slots=True)
class PollResults:
    """Counts of the current answers, overall and by commune and language."""

    question: str
    options: list[str]
    counts: list[int]
    by_unit: dict[str, list[int]] = field(default_factory=dict)
    by_language: dict[str, list[int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Answers counted."""
        return sum(self.counts)

    def as_json(self) -> dict[str, Any]:
        """The results as `loa polls results --json` prints them (lists follow the options)."""
        return {
            "question": self.question,
            "options": [
                {"text": text, "count": count}
                for text, count in zip(self.options, self.counts, strict=True)
            ],
            "by_unit": self.by_unit,
            "by_language": self.by_language,
            "total": self.total,
        }


def tally(poll: Broadcast, answers: list[PollAnswer], org: OrgMap, default: str) -> PollResults:
    """Count answers by option, commune and language."""
    size = len(poll.options)
    counts = [0] * size
    by_unit: dict[str, list[int]] = {}
    by_language: dict[str, list[int]] = {}
    for answer in answers:
        index = answer.option - 1
        if not 0 <= index < size:
            continue
        counts[index] += 1
        by_unit.setdefault(commune_of(org, answer.unit_id), [0] * size)[index] += 1
        by_language.setdefault(answer.language, [0] * size)[index] += 1
    return PollResults(
        question=poll.texts.get(default, ""),
        options=list(poll.options),
        counts=counts,
        by_unit=dict(sorted(by_unit.items())),
        by_language=dict(sorted(by_language.items())),
    )


async def poll_results(repos: Repos, poll: Broadcast, org: OrgMap, default: str) -> PollResults:
    """The poll's results now."""
    return tally(poll, await repos.broadcasts.answers(poll.id), org, default)


def results_table(results: PollResults, org: OrgMap) -> str:
    """The results as the author reads them in chat: options, then by commune and language."""
    lines = [_("**Poll results:** {question}").format(question=escape(results.question))]
    total = results.total or 1
    for n, (text, count) in enumerate(zip(results.options, results.counts, strict=True), 1):
        lines.append(f"{n}. {escape(text)} — {count} ({round(100 * count / total)}%)")
    lines.append(_("Answers: {count}").format(count=results.total))
    if results.by_unit:
        lines.append("")
        lines.append(_("**By commune** (answers to 1 · 2 · …)"))
        for unit_id, counts in results.by_unit.items():
            unit = org.get(unit_id)
            name = unit.name if unit is not None else _("commune not known")
            lines.append(f"{escape(name)}: {' · '.join(map(str, counts))}")
    if results.by_language:
        lines.append("")
        lines.append(_("**By language**"))
        for code, counts in results.by_language.items():
            lines.append(f"{code}: {' · '.join(map(str, counts))}")
    return "\n".join(lines)


def draw_chart(results: PollResults, path: Path) -> Path:
    """A bar chart of the results as a PNG (options by number: the table names them)."""
    width, row, margin = 640, 44, 16
    height = margin * 2 + row * len(results.counts)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(18)
    most = max(results.counts) or 1
    total = results.total or 1
    bar_left, bar_right = 56, width - 140
    for n, count in enumerate(results.counts):
        top = margin + n * row
        draw.text((margin, top + 10), f"{n + 1}.", fill="black", font=font)
        length = int((bar_right - bar_left) * count / most)
        draw.rectangle(
            (bar_left, top + 6, bar_left + max(length, 2), top + row - 6), fill="#2e7d32"
        )
        label = f"{count} ({round(100 * count / total)}%)"
        draw.text((bar_left + max(length, 2) + 8, top + 10), label, fill="black", font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")
    return path


async def report_done(
    db: Database, settings: Settings, catalogs: Catalogs, org: OrgMap, clock: Clock
) -> int:
    """Tell authors about broadcasts now sent to everyone and polls now closed; how many."""
    now = clock.now()
    told = 0
    async with db.session() as session:
        repos = Repos.of(session)
        for broadcast in await repos.broadcasts.unreported(now):
            reply = await _final(repos, broadcast, settings, org, now)
            if reply is None:
                continue
            broadcast.reported_at = now
            author = await repos.users.get(broadcast.author_id) if broadcast.author_id else None
            if author is None:
                continue
            told += await queue_rendered(
                repos,
                Rendering(catalogs, settings.default_language),
                author,
                reply,
                key=f"bcr:{broadcast.id}",
                kind="broadcast_report",
                now=now,
                lane=Lane.interactive,
            )
    return told


async def _final(
    repos: Repos,
    broadcast: Broadcast,
    settings: Settings,
    org: OrgMap,
    now: datetime,
) -> Callable[[], list[Reply]] | None:
    """A builder of the author's final message, or None when it is too early for one."""
    if broadcast.kind == BroadcastKind.poll.value:
        if broadcast.closes_at is None or now < broadcast.closes_at:
            return None
        results = await poll_results(repos, broadcast, org, settings.default_language)
        chart = settings.media_dir / "polls" / f"poll-{broadcast.id}.png"
        await asyncio.to_thread(draw_chart, results, chart)

        def poll_reply() -> list[Reply]:
            head = _("📊 Poll #{number} closed at {time}.").format(
                number=broadcast.id, time=format_moment(now, settings.tz)
            )
            return [
                Reply(f"{head}\n\n{results_table(results, org)}"),
                Reply(
                    _("The answers as a chart (numbered as in the table)."),
                    attachment=Attachment(AttachmentKind.photo, chart),
                ),
            ]

        return poll_reply
    numbers = await figures(repos, broadcast)
    if numbers.pending:
        return None

    def broadcast_reply() -> list[Reply]:
        head = _("📢 Announcement #{number} has gone out.").format(number=broadcast.id)
        return [Reply(f"{head}\n{figures_text(broadcast, numbers)}")]

    return broadcast_reply
