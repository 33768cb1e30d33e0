"""Announcements and polls on the desk: compose, preview the audience and its count, send,
watch the sending, read a poll's results as a chart.

Everything goes through the service chat's /broadcast and /poll and `loa broadcast` use
(bot/broadcasts/service.py): the same audiences (officers address only their own communes),
the same limits (`check`), the same opt-out and quiet hours, one outbox row per recipient.
As in chat, an author sees the figures and results of their own announcements and polls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.broadcasts import service
from bot.broadcasts.results import PollResults, poll_results
from bot.broadcasts.service import Audience, BroadcastError, Draft, Figures, Reach
from bot.core import i18n
from bot.core.chat import Reply
from bot.core.i18n import N_, _
from bot.engine import Services
from bot.web.desk.auth import Desk, redirect, signed_in
from bot.web.desk.charts import Bar, bars
from bot.web.desk.pages import message
from bot.web.desk.render import NavItem, render_page
from bot.web.desk.review import markup_html
from db.models import Broadcast, BroadcastKind, Role, UnitKind, User
from db.repositories import Repos
from handlers.admin import ROLE_LABELS

POLL_DAYS = (1, 3, 7)  # as in chat: the poll closes at 17:00 that many days ahead
CLOSING_HOUR = time(17, 0)
MORNING = time(8, 0)
LISTED = 20


class FormError(ValueError):
    """The form cannot be sent as filled in; the message says why, in the reader's language."""


@dataclass(frozen=True, slots=True)
class Preview:
    """A draft as one recipient reads it (in Vietnamese), whom it reaches, and when."""

    reply: Reply
    reach: Reach
    at: datetime


def scope_of(user: User) -> str | None:
    """The unit an author's audience stays inside: their own for officers, none for admins."""
    return None if user.role == Role.admin.value else user.unit_id


def may_compose(user: User) -> bool:
    """Officers bound to a unit and admins may send (chat says the same to the others)."""
    return user.role == Role.admin.value or (
        user.role == Role.officer.value and user.unit_id is not None
    )


@dataclass(frozen=True, slots=True)
class AudienceChoice:
    """One line of the audience list: the value the service parses, and its label."""

    value: str
    label: str


def audiences(services: Services, user: User) -> list[AudienceChoice]:
    """Who this author may address, as chat offers it (labels in the current language)."""
    scope = scope_of(user)
    allowed = service.subtree(services.org, scope) if scope is not None else None
    everyone = _("Everyone") if scope is None else _("Everyone in my communes")
    found = [AudienceChoice("all", everyone)]
    found += [
        AudienceChoice(f"unit:{unit.id}", unit.name)
        for unit in services.org.units
        if unit.kind is UnitKind.commune and (allowed is None or unit.id in allowed)
    ]
    found += [
        AudienceChoice(
            f"language:{lang.code}",
            _("Everyone who reads {language}").format(language=lang.label),
        )
        for lang in services.catalogs.languages
    ]
    found += [
        AudienceChoice(f"role:{role.value}", _("Every {role}").format(role=_(label)))
        for role, label in ROLE_LABELS.items()
    ]
    return found


@dataclass(frozen=True, slots=True)
class Form:
    """What the compose form sent (texts by language, options, times as chosen)."""

    kind: str = BroadcastKind.announcement.value
    audience: str = "all"
    texts: Mapping[str, str] = field(default_factory=dict)
    options: tuple[str, ...] = ()
    closes: str = ""  # "1", "3", "7" (days) or "" with closes_at
    closes_at: str = ""  # datetime-local "2026-12-20T17:00"
    send: str = "now"  # "now", "morning" or "at"
    send_at: str = ""  # datetime-local


def _local(text: str, services: Services) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=services.settings.tz) if moment.tzinfo is None else moment


def draft_of(form: Form, services: Services, user: User, now: datetime) -> Draft:
    """The form as the service's draft, checked as chat checks it (FormError: why not)."""
    settings = services.settings
    tz = settings.tz
    kind = BroadcastKind.poll if form.kind == BroadcastKind.poll.value else None
    kind = kind or BroadcastKind.announcement
    allowed = {choice.value for choice in audiences(services, user)}
    if form.audience not in allowed:
        raise FormError(_("Please choose who it is for."))
    texts = {code: text.strip() for code, text in form.texts.items() if text.strip()}
    if not texts.get(settings.default_language):
        raise FormError(_("Please type the text."))
    if any(len(text) > service.TEXT_MAX for text in texts.values()):
        raise FormError(
            _("Please send at most {limit} characters.").format(limit=service.TEXT_MAX)
        )
    options = tuple(" ".join(o.split()) for o in form.options if o.strip())
    closes_at = None
    if kind is BroadcastKind.poll:
        if not service.MIN_OPTIONS <= len(options) <= service.MAX_OPTIONS:
            raise FormError(
                _("A poll needs {low} to {high} answers.").format(
                    low=service.MIN_OPTIONS, high=service.MAX_OPTIONS
                )
            )
        if any(len(option) > service.OPTION_MAX for option in options):
            raise FormError(
                _("An answer may have at most {limit} characters.").format(
                    limit=service.OPTION_MAX
                )
            )
        if form.closes.isdigit() and int(form.closes) in POLL_DAYS:
            day = now.astimezone(tz).date() + timedelta(days=int(form.closes))
            closes_at = datetime.combine(day, CLOSING_HOUR, tzinfo=tz)
        else:
            closes_at = _local(form.closes_at, services)
            if closes_at is None or closes_at <= now + timedelta(hours=1):
                raise FormError(_("Please choose a closing time at least an hour ahead."))
    send_at = None
    if form.send == "morning":
        tomorrow = now.astimezone(tz).date() + timedelta(days=1)
        send_at = datetime.combine(tomorrow, MORNING, tzinfo=tz)
    elif form.send == "at":
        send_at = _local(form.send_at, services)
        if send_at is None or send_at < now:
            raise FormError(_("Please choose a send time still to come."))
    draft = Draft(
        kind=kind,
        audience=Audience.parse(form.audience, services.org, settings.languages),
        texts=texts,
        options=options if kind is BroadcastKind.poll else (),
        send_at=send_at,
        closes_at=closes_at,
        scope_unit_id=scope_of(user),
    )
    if closes_at is not None and closes_at <= service.send_time(draft, settings, now):
        raise FormError(_("A poll must close after it goes out."))
    try:
        service.check(draft, settings, now)
    except BroadcastError as error:
        raise FormError(_("The send or closing time has passed. Please start again.")) from error
    return draft


async def preview(repos: Repos, services: Services, draft: Draft, now: datetime) -> Preview:
    """The preview chat shows before sending: the text, the count, the time."""
    settings = services.settings
    found = await service.reach(repos, draft, services.org, settings)
    with i18n.use(services.catalogs, settings.default_language):
        shown = service.render(draft, 0, settings.default_language, settings.tz)
    return Preview(shown, found, service.send_time(draft, settings, now))


async def send(
    repos: Repos, services: Services, user: User, draft: Draft, now: datetime
) -> Broadcast:
    """Queue one copy per recipient (BroadcastError when a time passed meanwhile)."""
    return await service.create(
        repos,
        draft,
        author=user,
        settings=services.settings,
        catalogs=services.catalogs,
        org=services.org,
        now=now,
    )


def queued(broadcast: Broadcast) -> int:
    """Copies queued: everyone matched but those skipped."""
    return broadcast.recipients - broadcast.skipped_opted_out - broadcast.skipped_unreachable


async def mine(repos: Repos, user: User) -> list[tuple[Broadcast, Figures]]:
    """The author's latest announcements and polls with their figures now, newest first."""
    return [
        (broadcast, await service.figures(repos, broadcast))
        for broadcast in await repos.broadcasts.by_author(user.id, limit=LISTED)
    ]


async def own(repos: Repos, user: User, broadcast_id: int) -> Broadcast | None:
    """One of the author's own announcements or polls (None for anyone else's)."""
    broadcast = await repos.broadcasts.get(broadcast_id)
    if broadcast is None or broadcast.author_id != user.id:
        return None
    return broadcast


async def results(repos: Repos, services: Services, poll: Broadcast) -> PollResults:
    """A poll's results now."""
    return await poll_results(repos, poll, services.org, services.settings.default_language)


def results_chart(chart_id: str, results: PollResults) -> Markup:
    """The answers as horizontal bars, each with its count and share (current language)."""
    total = results.total or 1
    items = [
        Bar(option, count, note=f"{count} ({round(100 * count / total)}%)")
        for option, count in zip(results.options, results.counts, strict=True)
    ]
    return bars(
        chart_id, _("Answers to the poll: {question}").format(question=results.question), items
    )


# --- the pages ------------------------------------------------------------------------------

routes = web.RouteTableDef()
NAV = NavItem(40, N_("Announcements and polls"), "/desk/broadcasts")
STATIC = Path(__file__).parent / "static"


def _not_linked(request: web.Request, desk: Desk) -> web.StreamResponse:
    text = _(
        "Your account is not linked to a unit yet. Ask an administrator for an invite "
        "code for your unit."
    )
    return message(request, desk, _("Announcements and polls"), text, status=403)


@routes.get("/desk/broadcasts")
@signed_in()
async def list_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """The user's latest announcements and polls with their figures, and the way to a new one."""
    return render_page(
        request,
        "broadcasts.html",
        desk,
        items=await mine(desk.repos, desk.user),
        may_compose=may_compose(desk.user),
        poll=BroadcastKind.poll.value,
        default=desk.loa.settings.default_language,
    )


def _read(form: Mapping[str, Any], services: Services) -> Form:
    default = services.settings.default_language
    codes = [default, *(c for c in services.settings.languages if c != default)]
    return Form(
        kind=str(form.get("kind", BroadcastKind.announcement.value)),
        audience=str(form.get("audience", "")),
        texts={code: str(form.get(f"text_{code}", "")) for code in codes},
        options=tuple(str(form.get(f"option_{n}", "")) for n in range(1, service.MAX_OPTIONS + 1)),
        closes=str(form.get("closes", "")),
        closes_at=str(form.get("closes_at", "")),
        send=str(form.get("send", "now")),
        send_at=str(form.get("send_at", "")),
    )


async def _compose(
    request: web.Request,
    desk: Desk,
    form: Form,
    *,
    shown: Preview | None = None,
    problem: str = "",
    status: int = 200,
) -> web.StreamResponse:
    services = desk.loa.services
    default = services.settings.default_language
    tz = services.settings.tz
    return render_page(
        request,
        "broadcast_new.html",
        desk,
        status=status,
        form=form,
        audiences=audiences(services, desk.user),
        languages=services.catalogs.languages,
        default=default,
        poll=BroadcastKind.poll.value,
        poll_days=POLL_DAYS,
        options=range(1, service.MAX_OPTIONS + 1),
        text_max=service.TEXT_MAX,
        option_max=service.OPTION_MAX,
        preview=shown,
        preview_html=markup_html(shown.reply.text) if shown is not None else "",
        preview_choices=[c.label for c in shown.reply.choices] if shown is not None else [],
        reached=reach_text(shown.reach) if shown is not None else "",
        soon=shown is not None and shown.at > desk.now + timedelta(minutes=1),
        moment=(lambda at: service.format_moment(at, tz)),
        problem=problem,
    )


async def audience_count(repos: Repos, services: Services, user: User, audience: str) -> str:
    """Whom an audience reaches now, in the preview's words ("" for one this user may not use)."""
    if audience not in {item.value for item in audiences(services, user)}:
        return ""
    draft = Draft(
        kind=BroadcastKind.announcement,
        audience=Audience.parse(audience, services.org, services.settings.languages),
        texts={},
        scope_unit_id=scope_of(user),
    )
    return reach_text(await service.reach(repos, draft, services.org, services.settings))


def reach_text(found: Reach) -> str:
    """Whom a draft reaches, as the preview says it (chat's words)."""
    line = _("It goes to {count} people.").format(count=len(found.users))
    if found.opted_out or found.unreachable:
        line += " " + _(
            "Skipped: {opted} who asked for no announcements, {unreachable} unreachable."
        ).format(opted=found.opted_out, unreachable=found.unreachable)
    return line


@routes.get("/desk/broadcasts/audience")
@signed_in()
async def audience_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """The count of an audience, for the compose form's script (as the preview says it)."""
    line = await audience_count(
        desk.repos, desk.loa.services, desk.user, request.query.get("audience", "")
    )
    if not line:
        raise web.HTTPNotFound()
    return web.json_response({"text": line}, headers={"Cache-Control": "no-store"})


@routes.get("/desk/broadcasts/new")
@signed_in()
async def new_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """The compose form (an announcement, or a poll with `?kind=poll`)."""
    if not may_compose(desk.user):
        return _not_linked(request, desk)
    kind = request.query.get("kind", BroadcastKind.announcement.value)
    return await _compose(request, desk, Form(kind=kind))


@routes.post("/desk/broadcasts/new")
@signed_in()
async def compose_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """Preview (the text, its audience count, when it goes) or send, as chat's last steps."""
    if not may_compose(desk.user):
        return _not_linked(request, desk)
    posted = await request.post()
    services = desk.loa.services
    form = _read(posted, services)
    try:
        draft = draft_of(form, services, desk.user, desk.now)
    except FormError as error:
        return await _compose(request, desk, form, problem=str(error), status=422)
    if posted.get("action") != "send":
        return await _compose(
            request, desk, form, shown=await preview(desk.repos, services, draft, desk.now)
        )
    try:
        broadcast = await send(desk.repos, services, desk.user, draft, desk.now)
    except BroadcastError:
        problem = _("The send or closing time has passed. Please start again.")
        return await _compose(request, desk, form, problem=problem, status=422)
    desk.context().notified += queued(broadcast)  # wakes the outbox once the request commits
    return redirect(f"/desk/broadcasts/{broadcast.id}?sent=1")


def _missing(request: web.Request, desk: Desk) -> web.StreamResponse:
    text = _("There is no such announcement or poll among yours.")
    return message(request, desk, _("Not found"), text, status=404)


@dataclass(frozen=True, slots=True)
class Progress:
    """How far the sending is: the figures, the copies settled, and the line saying so."""

    numbers: Figures
    done: int
    line: str

    @classmethod
    async def of(cls, repos: Repos, broadcast: Broadcast) -> Progress:
        """The progress now, read from the recipients' outbox rows."""
        numbers = await service.figures(repos, broadcast)
        done = numbers.recipients - numbers.pending
        return cls(numbers, done, service.figures_text(broadcast, numbers))


@routes.get(r"/desk/broadcasts/{broadcast_id:\d+}")
@signed_in()
async def progress_page(request: web.Request, desk: Desk) -> web.StreamResponse:
    """How the sending goes (updated in place by progress.js) and, for a poll, its results."""
    broadcast = await own(desk.repos, desk.user, int(request.match_info["broadcast_id"]))
    if broadcast is None:
        return _missing(request, desk)
    services = desk.loa.services
    poll = broadcast.kind == BroadcastKind.poll.value
    answers = await results(desk.repos, services, broadcast) if poll else None
    return render_page(
        request,
        "broadcast.html",
        desk,
        broadcast=broadcast,
        progress=await Progress.of(desk.repos, broadcast),
        copies=queued(broadcast),
        sent=request.query.get("sent") == "1",
        poll=poll,
        answers=answers,
        chart=results_chart("poll-chart", answers) if answers is not None else "",
        answer_rows=list(zip(answers.options, answers.counts, strict=True)) if answers else [],
        text=broadcast.texts.get(services.settings.default_language, ""),
        moment=lambda at: service.format_moment(at, services.settings.tz),
    )


@routes.get(r"/desk/broadcasts/{broadcast_id:\d+}/progress")
@signed_in()
async def progress_json(request: web.Request, desk: Desk) -> web.StreamResponse:
    """The progress as JSON, for the page's script (the author's own broadcasts only)."""
    broadcast = await own(desk.repos, desk.user, int(request.match_info["broadcast_id"]))
    if broadcast is None:
        raise web.HTTPNotFound()
    progress = await Progress.of(desk.repos, broadcast)
    return web.json_response(
        {
            **progress.numbers.as_json(),
            "done": progress.done,
            "text": progress.line,
        },
        headers={"Cache-Control": "no-store"},
    )


@routes.get(r"/desk/static/{name:(progress|compose)\.js}")
async def script(request: web.Request) -> web.StreamResponse:
    """The pages' small scripts (no secrets in them, so no session is needed to fetch them)."""
    return web.FileResponse(
        STATIC / request.match_info["name"],
        headers={
            "Content-Type": "text/javascript; charset=utf-8",
            "Cache-Control": "max-age=3600",
        },
    )
