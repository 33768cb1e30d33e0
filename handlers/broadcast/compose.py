"""Composing a broadcast or a poll in chat: its text and photo, when it goes out, the preview and
the sending. Whom it is for is `audience`; a poll's answers and closing time are `poll`."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bot.broadcasts.service import (
    MAX_OPTIONS,
    MIN_OPTIONS,
    TEXT_MAX,
    Audience,
    BroadcastError,
    Draft,
    create,
    format_moment,
    reach,
    render,
    send_time,
)
from bot.core import i18n
from bot.core.chat import Incoming, Kind, Reply, choice, escape
from bot.core.i18n import N_, _
from bot.engine import BadInput, Context
from bot.reports.media import MediaChecks, MediaRejected
from db.models import BroadcastKind, Role
from handlers.broadcast.audience import ask_audience
from handlers.broadcast.common import (
    AUTHORS,
    BroadcastStep,
    args_of,
    author_scope,
    keep_typed_moment,
    menu_choice,
    router,
    stale,
    typed_text,
)
from handlers.report.views import problem_text

router.menu(6, N_("Send an announcement or a poll"), "bcm", roles=AUTHORS)


def _not_linked() -> Reply:
    return Reply(
        _(
            "Your account is not linked to a unit yet. Ask an administrator for an invite "
            "code for your unit."
        ),
        choices=(menu_choice(),),
    )


@router.choice("bcm", roles=AUTHORS)
async def compose_menu(event: Incoming, ctx: Context) -> Reply:
    """Choose between an announcement, a poll and the figures of earlier ones."""
    ctx.state.clear()
    return Reply(
        _("**Announcements and polls**"),
        choices=(
            choice("bcn", "announcement", label=_("📢 New announcement")),
            choice("bcn", "poll", label=_("📊 New poll")),
            choice("bcl", label=_("📈 My announcements and polls")),
            menu_choice(),
        ),
    )


@router.command("broadcast", "thongbao", roles=AUTHORS, help=N_("send an announcement"))
async def new_broadcast(event: Incoming, ctx: Context) -> Reply:
    """Start an announcement."""
    return _start(ctx, BroadcastKind.announcement)


@router.command("poll", "khaosat", roles=AUTHORS, help=N_("send a quick poll"))
async def new_poll(event: Incoming, ctx: Context) -> Reply:
    """Start a poll."""
    return _start(ctx, BroadcastKind.poll)


@router.choice("bcn", roles=AUTHORS)
async def new_from_menu(event: Incoming, ctx: Context) -> Reply:
    """Start what the menu chose."""
    kind = BroadcastKind.poll if args_of(event)[:1] == ["poll"] else BroadcastKind.announcement
    return _start(ctx, kind)


def _start(ctx: Context, kind: BroadcastKind) -> Reply:
    if ctx.role is not Role.admin and ctx.user.unit_id is None:
        ctx.state.clear()
        return _not_linked()
    ctx.state.enter(BroadcastStep.text, kind=kind.value, texts={}, options=[])
    if kind is BroadcastKind.poll:
        text = _("**New poll.** Send the question in Vietnamese.")
    else:
        text = _(
            "**New announcement.** Send its text in Vietnamese (at most {limit} characters). "
            "You can add a photo and translations next."
        ).format(limit=TEXT_MAX)
    return Reply(text)


def _poll(ctx: Context) -> bool:
    return bool(ctx.state.get("kind") == BroadcastKind.poll.value)


@router.step(BroadcastStep.text, roles=AUTHORS)
async def take_text(event: Incoming, ctx: Context) -> Reply | None:
    """The Vietnamese text (or question)."""
    text = typed_text(event)
    data = dict(ctx.state.data)
    data["texts"] = {ctx.services.settings.default_language: text}
    if _poll(ctx):
        ctx.state.enter(BroadcastStep.options, **data)
        return Reply(
            _(
                "Send the answers people can choose, one message each ({low} to {high}), "
                "then press Done."
            ).format(low=MIN_OPTIONS, high=MAX_OPTIONS)
        )
    ctx.state.enter(BroadcastStep.photo, **data)
    return Reply(
        _("Send a photo to go with it, or press Skip."),
        choices=(choice("bcskip", label=_("Skip")),),
    )


# Files are downloaded only where a step keeps them (bot/engine.py: Router.takes).
router.takes(BroadcastStep.photo, Kind.photo)


@router.step(BroadcastStep.photo, roles=AUTHORS)
async def take_photo_step(event: Incoming, ctx: Context) -> Reply | None:
    """An optional photo."""
    if event.kind is Kind.choice:
        return None
    if event.kind is not Kind.photo or not event.media:
        raise BadInput(_("Please send a photo, or press Skip."))
    checks = ctx.services.media or MediaChecks(ctx.services.settings)
    try:
        stored = await checks.photo(event.media[0])  # decoded before the transaction
    except MediaRejected as rejected:
        raise BadInput(
            _("The photo was not added: {reason}").format(
                reason=problem_text(rejected.problem, checks.limits.max_bytes)
            )
        ) from rejected
    ctx.state.update(photo=str(checks.store.local_path(stored.key).resolve()))
    return await ask_audience(ctx)


@router.choice("bcskip", roles=AUTHORS)
async def skip_photo(event: Incoming, ctx: Context) -> Reply:
    """No photo."""
    if ctx.state.step != BroadcastStep.photo:
        raise stale()
    return await ask_audience(ctx)


# --- when, preview, send --------------------------------------------------------------------


@router.choice("bcw", roles=AUTHORS)
async def ask_when(event: Incoming, ctx: Context) -> Reply:
    """Now, tomorrow morning, or a typed time."""
    if ctx.state.step != BroadcastStep.languages:
        raise stale()
    ctx.state.enter(BroadcastStep.when, **ctx.state.data)
    return Reply(
        _("When should it go out? Choose, or type a day and time like 20/12 08:00."),
        choices=(
            choice("bcs", "now", label=_("Now")),
            choice("bcs", "morning", label=_("Tomorrow at 08:00")),
        ),
    )


@router.step(BroadcastStep.when, roles=AUTHORS)
async def take_when(event: Incoming, ctx: Context) -> Reply | None:
    """A typed send time."""
    refusal = _("Please type a day and time still to come, like 20/12 08:00.")
    kept = keep_typed_moment(event, ctx, "at", refusal, not_before=ctx.now)
    return await _preview(ctx) if kept else None


@router.choice("bcs", roles=AUTHORS)
async def choose_when(event: Incoming, ctx: Context) -> Reply:
    """Now or tomorrow at 08:00."""
    if ctx.state.step != BroadcastStep.when:
        raise stale()
    at = None
    if args_of(event)[:1] == ["morning"]:
        tz = ctx.services.settings.tz
        tomorrow = ctx.now.astimezone(tz).date() + timedelta(days=1)
        at = datetime.combine(tomorrow, time(8, 0), tzinfo=tz).isoformat()
    ctx.state.update(at=at)
    return await _preview(ctx)


def _draft(ctx: Context) -> Draft:
    data: dict[str, Any] = ctx.state.data
    closes = data.get("closes")
    at = data.get("at")
    return Draft(
        kind=BroadcastKind(data["kind"]),
        audience=Audience.parse(
            str(data["audience"]), ctx.services.org, ctx.services.settings.languages
        ),
        texts=dict(data.get("texts", {})),
        photo_path=data.get("photo"),
        options=tuple(data.get("options", [])),
        send_at=datetime.fromisoformat(at) if at else None,
        closes_at=datetime.fromisoformat(closes) if closes else None,
        scope_unit_id=author_scope(ctx),
    )


async def _preview(ctx: Context) -> Reply:
    ctx.state.enter(BroadcastStep.confirm, **ctx.state.data)
    draft = _draft(ctx)
    settings = ctx.services.settings
    found = await reach(ctx.repos, draft, ctx.services.org, settings)
    at = send_time(draft, settings, ctx.now)
    with i18n.use(ctx.services.catalogs, settings.default_language):
        shown = render(draft, 0, settings.default_language, settings.tz)
    lines = [
        _("**Preview** (as it reads in Vietnamese):"),
        "",
        shown.text,
        *(f"{n}. {escape(c.label)}" for n, c in enumerate(shown.choices, 1)),
        "",
        _("It goes to {count} people.").format(count=len(found.users)),
    ]
    if found.opted_out or found.unreachable:
        lines.append(
            _(
                "Skipped: {opted} who asked for no announcements, {unreachable} unreachable."
            ).format(opted=found.opted_out, unreachable=found.unreachable)
        )
    if at > ctx.now + timedelta(minutes=1):
        lines.append(_("It goes out at {time}.").format(time=format_moment(at, settings.tz)))
    translated = sorted(code for code in draft.texts if code != settings.default_language)
    if translated:
        lines.append(_("Translations: {codes}.").format(codes=", ".join(translated)))
    return Reply(
        "\n".join(lines),
        attachment=shown.attachment,
        choices=(choice("bcok", label=_("✅ Send")), choice("bcno", label=_("Cancel"))),
    )


@router.choice("bcok", roles=AUTHORS)
async def send(event: Incoming, ctx: Context) -> Reply:
    """Queue one copy per recipient; the author hears back when it is done."""
    if ctx.state.step != BroadcastStep.confirm:
        raise stale()
    draft = _draft(ctx)
    services = ctx.services
    try:
        broadcast = await create(
            ctx.repos,
            draft,
            author=ctx.user,
            settings=services.settings,
            catalogs=services.catalogs,
            org=services.org,
            now=ctx.now,
        )
    except BroadcastError as error:
        # The send or closing time passed while the draft waited on the preview.
        ctx.state.clear()
        raise BadInput(_("The send or closing time has passed. Please start again.")) from error
    ctx.state.clear()
    queued = broadcast.recipients - broadcast.skipped_opted_out - broadcast.skipped_unreachable
    ctx.notified += queued
    if broadcast.kind == BroadcastKind.poll.value:
        assert broadcast.closes_at is not None
        tail = _("I will send you the results when it closes at {time}.").format(
            time=format_moment(broadcast.closes_at, services.settings.tz)
        )
        head = _("✅ Poll #{number} is on its way to {count} people.")
    else:
        tail = _("I will tell you when it has gone out to everyone.")
        head = _("✅ Announcement #{number} is on its way to {count} people.")
    return Reply(
        head.format(number=broadcast.id, count=queued)
        + "\n"
        + tail
        + "\n"
        + _("Send /broadcasts to see how the sending goes."),
        choices=(choice("bcl", label=_("📈 My announcements and polls")), menu_choice()),
    )


@router.choice("bcno", roles=AUTHORS)
async def cancel(event: Incoming, ctx: Context) -> Reply:
    """Drop the draft."""
    ctx.state.clear()
    return Reply(_("Cancelled. Nothing was sent."), choices=(menu_choice(),))
