"""The periodic report in chat: a tally of a period, and the files of the report.

Officers get their unit and the units under it, admins everything. `/summary` shows the
tally (activities, participants, ethnic-minority people, women: approved reports only);
`/export` shows it and sends the workbook and the draft report as documents. Zalo takes no
files, so its users get expiring links (the channel makes them; this module says so).

    /summary | /export [PERIOD] → period (a choice, or typed) → tally [+ two files]
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import time
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path

from bot.core import i18n
from bot.core.chat import (
    Attachment,
    AttachmentKind,
    Incoming,
    Kind,
    Reply,
    choice,
    escape,
    parse_choice,
)
from bot.core.i18n import N_, Catalogs, _, format_day, format_number
from bot.engine import BadInput, Context, Router
from bot.exports import FORMATS, Vocabulary, wording, write_exports
from bot.reports.summary import (
    Period,
    PeriodError,
    Summary,
    parse_period,
    recent_periods,
    summarize,
)
from handlers.admin import ROLE_LABELS
from handlers.report import OFFICERS, unit_scope
from handlers.report.views import ACTIVITY_LABELS, THEME_LABELS
from handlers.start import main_menu_choices

router = Router("exports")

EXPORTS_DIR = "exports"  # under MEDIA_DIR, so the signed-link route can serve the files
ZALO = "zalo"  # the channel that takes no files: its adapter sends links instead

router.menu(5, N_("Periodic report (tally and files)"), "exp", roles=OFFICERS)


class ExportStep(StrEnum):
    """Waiting for the period of a tally or an export."""

    period = "exports.period"


def vocabulary(catalogs: Catalogs, language: str = "vi") -> Vocabulary:
    """Activity kinds and roles named as the chat names them, in `language` (official files:
    Vietnamese)."""
    with i18n.use(catalogs, language):
        return Vocabulary(
            activities={kind.value: _(label) for kind, label in ACTIVITY_LABELS.items()},
            roles={role.value: _(label) for role, label in ROLE_LABELS.items()},
            themes={code: _(label) for code, label in THEME_LABELS.items()},
        )


@router.command("summary", "tonghop", roles=OFFICERS, help=N_("the tally of a reporting period"))
@router.command(
    "export", "xuatbaocao", roles=OFFICERS, help=N_("the periodic report as XLSX and DOCX files")
)
@router.choice("exp", roles=OFFICERS)
async def ask_period(event: Incoming, ctx: Context) -> Reply | list[Reply]:
    """Ask for the period (or use the one typed after the command)."""
    files = event.command != "summary" and event.command != "tonghop"
    if event.args:
        return await _answer(ctx, event.args, files=files)
    ctx.state.enter(ExportStep.period, files=files)
    today = ctx.now.astimezone(ctx.services.settings.tz).date()
    periods = recent_periods(today, ctx.services.settings)
    return Reply(
        _(
            "Which period? Choose one, or type it: 2026-H1 (first half), 2026 (the year) or "
            "2026-01-01..2026-03-31."
        ),
        choices=tuple(
            choice("expp", period.label, label=period_name(period)) for period in periods
        ),
    )


@router.choice("expp", roles=OFFICERS)
async def chosen_period(event: Incoming, ctx: Context) -> Reply | list[Reply]:
    """A period from the choices."""
    parsed = parse_choice(event.choice)
    label = parsed[1][0] if parsed and parsed[1] else ""
    return await _answer(ctx, label, files=bool(ctx.state.get("files", True)))


@router.step(ExportStep.period, roles=OFFICERS)
async def typed_period(event: Incoming, ctx: Context) -> Reply | list[Reply] | None:
    """A period typed by hand (a choice, picked or typed as its number, goes on to its route)."""
    if event.kind is not Kind.text:
        return None
    return await _answer(ctx, event.text, files=bool(ctx.state.get("files", True)))


def period_name(period: Period) -> str:
    span = {"start": format_day(period.start), "end": format_day(period.end)}
    if period.kind == "h1":
        return _("First half of {year} ({start}–{end})").format(year=period.year, **span)
    if period.kind == "year":
        return _("Year {year} ({start}–{end})").format(year=period.year, **span)
    return _("{start}–{end}").format(**span)


async def _answer(ctx: Context, text: str, *, files: bool) -> Reply | list[Reply]:
    settings = ctx.services.settings
    try:
        period = parse_period(text, settings)
    except PeriodError as exc:
        raise BadInput(
            _("I could not read that period. Type 2026-H1, 2026 or 2026-01-01..2026-03-31.")
        ) from exc
    scope = await unit_scope(ctx)
    if scope is not None and ctx.user.unit_id is None:
        ctx.state.clear()
        return Reply(_("You are not bound to a unit, so there is nothing to count."))
    today = ctx.now.astimezone(settings.tz).date()
    summary = await summarize(
        ctx.repos, settings, period, scope=None if scope is None else ctx.user.unit_id, today=today
    )
    ctx.state.clear()
    menu = main_menu_choices(ctx)
    if summary.empty:
        return Reply(
            _(
                "No approved report of {scope} from {start} to {end}: there is nothing to count "
                "or export yet. Reports count once an officer approves them (/pending)."
            ).format(
                scope=escape(summary.scope_name),
                start=format_day(period.start),
                end=format_day(period.end),
            ),
            choices=menu,
        )
    tally = Reply(tally_text(summary, _activity_names(ctx)))
    if not files:
        return tally.with_choices(*menu)
    return [tally, *await _files(ctx, summary, today), Reply(_("Done."), choices=menu)]


def _activity_names(ctx: Context) -> Mapping[str, str]:
    return vocabulary(ctx.services.catalogs, ctx.language).activities


def tally_text(summary: Summary, activities: Mapping[str, str]) -> str:
    """The tally as a chat message (in the current language)."""
    total = summary.total
    lines = [
        _("**{scope}, {start}–{end}** (approved reports)").format(
            scope=escape(summary.scope_name),
            start=format_day(summary.period.start),
            end=format_day(summary.period.end),
        ),
        _("Activities: {count}").format(count=format_number(total.reports)),
        _("Participants: {count}").format(count=format_number(total.participants)),
        _("Ethnic-minority people: {count}").format(count=format_number(total.ethnic_minority)),
        _("Women: {count}").format(count=format_number(total.women)),
        "",
    ]
    order = list(activities)
    for code in sorted(summary.by_activity, key=lambda c: order.index(c) if c in order else 99):
        tally = summary.by_activity[code]
        lines.append(
            _("{activity}: {count} ({people} people)").format(
                activity=activities.get(code, code),
                count=format_number(tally.reports),
                people=format_number(tally.participants),
            )
        )
    return "\n".join(lines)


async def _files(ctx: Context, summary: Summary, today: date) -> list[Reply]:
    settings = ctx.services.settings
    root = settings.media_dir / EXPORTS_DIR
    valid_for = settings.document_link_hours * 3600
    out_dir = root / secrets.token_urlsafe(12)
    words = wording(settings.locales_dir)
    official = vocabulary(ctx.services.catalogs, "vi")
    await asyncio.to_thread(_sweep, root, valid_for)
    xlsx, docx = await asyncio.to_thread(
        write_exports, summary, FORMATS, out_dir, official, words, today
    )
    replies = [
        Reply(
            _("The workbook: every approved report, the summary by unit and kind, deadlines."),
            attachment=Attachment(AttachmentKind.document, xlsx, caption=xlsx.name),
        ),
        Reply(
            _("The draft report (Nghị định 30/2020 layout) for you to finish and sign."),
            attachment=Attachment(AttachmentKind.document, docx, caption=docx.name),
        ),
    ]
    if ctx.event.channel == ZALO:
        if settings.public_base_url is None:
            note = _(
                "Zalo cannot receive files and this Loa has no public address for links: ask "
                "an administrator for the files, or use Telegram."
            )
        else:
            note = _(
                "Zalo cannot receive files: each comes as a link that works for {hours} hours."
            )
        replies.insert(0, Reply(note.format(hours=settings.document_link_hours)))
    return replies


def _sweep(root: Path, older_than: float) -> None:
    """Delete exports older than their links' validity: nobody can fetch them any more."""
    if not root.is_dir():
        return
    cutoff = time.time() - older_than
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
