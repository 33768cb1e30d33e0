"""Composing a broadcast or a poll in chat, previewing it, sending it; the author's figures."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

from bot.broadcasts.results import draw_chart, poll_results, results_table
from bot.broadcasts.service import (
    MAX_OPTIONS,
    MIN_OPTIONS,
    OPTION_MAX,
    TEXT_MAX,
    Audience,
    BroadcastError,
    Draft,
    create,
    figures,
    figures_text,
    format_moment,
    reach,
    render,
    send_time,
)
from bot.core import i18n
from bot.core.chat import Attachment, AttachmentKind, Choice, Incoming, Kind, Reply, choice, escape
from bot.core.i18n import N_, _
from bot.engine import BadInput, Context
from bot.reports.media import MediaChecks, MediaRejected
from db.models import BroadcastKind, Role, UnitKind
from handlers.admin import ROLE_LABELS
from handlers.broadcast.common import (
    AUTHORS,
    BroadcastStep,
    args_of,
    menu_choice,
    router,
    stale,
)
from handlers.report.views import problem_text

router.menu(6, N_("Send an announcement or a poll"), "bcm", roles=AUTHORS)

POLL_DAYS = (1, 3, 7)
_WHEN = re.compile(r"^\s*(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\s+(\d{1,2})[:h](\d{2})\s*$")


def _not_linked() -> Reply:
    return Reply(
        _(
            "Your account is not linked to a unit yet. Ask an administrator for an invite "
            "code for your unit."
        ),
        choices=(menu_choice(),),
    )


def _scope(ctx: Context) -> str | None:
    """Officers address their own communes; admins everyone."""
    return None if ctx.role is Role.admin else ctx.user.unit_id


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
    if event.kind is not Kind.text:
        raise BadInput(_("Please type the text."))
    text = event.text.strip()
    if len(text) > TEXT_MAX:
        raise BadInput(_("Please send at most {limit} characters.").format(limit=TEXT_MAX))
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
    return await _ask_audience(ctx)


@router.choice("bcskip", roles=AUTHORS)
async def skip_photo(event: Incoming, ctx: Context) -> Reply:
    """No photo."""
    if ctx.state.step != BroadcastStep.photo:
        raise stale()
    return await _ask_audience(ctx)


@router.step(BroadcastStep.options, roles=AUTHORS)
async def take_option(event: Incoming, ctx: Context) -> Reply | None:
    """One answer of the poll per message."""
    if event.kind is Kind.choice:
        return None
    if event.kind is not Kind.text:
        raise BadInput(_("Please type the answer."))
    options = list(ctx.state.get("options", []))
    text = " ".join(event.text.split())
    if len(text) > OPTION_MAX:
        raise BadInput(
            _("An answer may have at most {limit} characters.").format(limit=OPTION_MAX)
        )
    if len(options) >= MAX_OPTIONS:
        raise BadInput(
            _("A poll has at most {count} answers. Press Done.").format(count=MAX_OPTIONS)
        )
    options.append(text)
    ctx.state.update(options=options)
    listed = "\n".join(f"{n}. {escape(o)}" for n, o in enumerate(options, 1))
    return Reply(
        _("Answers so far:") + "\n" + listed,
        choices=(choice("bcdone", label=_("Done")),) if len(options) >= MIN_OPTIONS else (),
    )


@router.choice("bcdone", roles=AUTHORS)
async def options_done(event: Incoming, ctx: Context) -> Reply:
    """Ask when the poll closes."""
    if ctx.state.step != BroadcastStep.options:
        raise stale()
    if len(ctx.state.get("options", [])) < MIN_OPTIONS:
        raise BadInput(_("A poll needs at least {count} answers.").format(count=MIN_OPTIONS))
    ctx.state.enter(BroadcastStep.closes, **ctx.state.data)
    return Reply(
        _("When does the poll close? Choose, or type a day and time like 20/12 17:00."),
        choices=tuple(
            choice("bccl", days, label=_("In {days} days").format(days=days)) for days in POLL_DAYS
        ),
    )


def parse_when(text: str, now: datetime, ctx: Context) -> datetime | None:
    """ "20/12 17:00" or "20/12/2026 17:00" in local time; None when it is not that."""
    match = _WHEN.match(text)
    if match is None:
        return None
    day, month, year, hour, minute = match.groups()
    local_now = now.astimezone(ctx.services.settings.tz)
    try:
        moment = datetime(
            int(year) if year else local_now.year,
            int(month),
            int(day),
            int(hour),
            int(minute),
            tzinfo=ctx.services.settings.tz,
        )
    except ValueError:
        return None
    if year is None and moment < local_now:
        moment = moment.replace(year=moment.year + 1)
    return moment


@router.step(BroadcastStep.closes, roles=AUTHORS)
async def take_closing(event: Incoming, ctx: Context) -> Reply | None:
    """A typed closing time."""
    if event.kind is Kind.choice:
        return None
    moment = parse_when(event.text, ctx.now, ctx) if event.kind is Kind.text else None
    if moment is None or moment <= ctx.now + timedelta(hours=1):
        raise BadInput(_("Please type a day and time at least an hour ahead, like 20/12 17:00."))
    ctx.state.update(closes=moment.isoformat())
    return await _ask_audience(ctx)


@router.choice("bccl", roles=AUTHORS)
async def choose_closing(event: Incoming, ctx: Context) -> Reply:
    """Close in some days, at 17:00 local time."""
    if ctx.state.step != BroadcastStep.closes:
        raise stale()
    raw = args_of(event)[:1]
    if not raw or not raw[0].isdigit() or int(raw[0]) not in POLL_DAYS:
        raise stale()
    local = ctx.now.astimezone(ctx.services.settings.tz) + timedelta(days=int(raw[0]))
    closes = datetime.combine(local.date(), time(17, 0), tzinfo=ctx.services.settings.tz)
    ctx.state.update(closes=closes.isoformat())
    return await _ask_audience(ctx)


# --- audience -------------------------------------------------------------------------------


def _communes(ctx: Context) -> list[tuple[str, str]]:
    """(id, name) of the communes this author may address."""
    from bot.broadcasts.service import subtree

    org = ctx.services.org
    scope = _scope(ctx)
    allowed = subtree(org, scope) if scope is not None else None
    return [
        (unit.id, unit.name)
        for unit in org.units
        if unit.kind is UnitKind.commune and (allowed is None or unit.id in allowed)
    ]


async def _ask_audience(ctx: Context) -> Reply:
    ctx.state.enter(BroadcastStep.audience, **ctx.state.data)
    everyone = _("Everyone") if ctx.role is Role.admin else _("Everyone in my communes")
    choices: list[Choice] = [choice("bca", "all", label=everyone)]
    choices += [choice("bca", "unit", unit_id, label=name) for unit_id, name in _communes(ctx)]
    choices += [
        choice(
            "bca",
            "language",
            lang.code,
            label=_("Everyone who reads {language}").format(language=lang.label),
        )
        for lang in ctx.services.catalogs.languages
    ]
    choices += [
        choice("bca", "role", role.value, label=_("Every {role}").format(role=_(label)))
        for role, label in ROLE_LABELS.items()
    ]
    return Reply(_("Who is it for?"), choices=tuple(choices))


@router.choice("bca", roles=AUTHORS)
async def choose_audience(event: Incoming, ctx: Context) -> Reply:
    """Keep the audience; ask for translations."""
    if ctx.state.step != BroadcastStep.audience:
        raise stale()
    args = args_of(event)
    try:
        audience = Audience.parse(
            ":".join(args), ctx.services.org, ctx.services.settings.languages
        )
    except BroadcastError as error:
        raise stale() from error
    if audience.kind == "unit" and audience.value not in {u for u, _n in _communes(ctx)}:
        raise stale()
    ctx.state.update(audience=str(audience))
    return _ask_translations(ctx)


def _ask_translations(ctx: Context) -> Reply:
    ctx.state.enter(BroadcastStep.languages, **ctx.state.data)
    texts: dict[str, str] = dict(ctx.state.get("texts", {}))
    default = ctx.services.settings.default_language
    choices = [
        choice(
            "bct",
            lang.code,
            label=("✓ " if lang.code in texts else "")
            + _("Add the {language} text").format(language=lang.label),
        )
        for lang in ctx.services.catalogs.languages
        if lang.code != default
    ]
    choices.append(choice("bcw", label=_("Continue")))
    return Reply(
        _(
            "People who read another language get the Vietnamese text unless you add "
            "theirs. Add a translation, or continue."
        ),
        choices=tuple(choices),
    )


@router.choice("bct", roles=AUTHORS)
async def choose_translation(event: Incoming, ctx: Context) -> Reply:
    """Ask for the text in one language."""
    code = args_of(event)[:1]
    default = ctx.services.settings.default_language
    if ctx.state.step != BroadcastStep.languages or not code or code[0] == default:
        raise stale()
    if code[0] not in ctx.services.settings.languages:
        raise stale()
    ctx.state.enter(BroadcastStep.translation, **{**ctx.state.data, "lang": code[0]})
    name = ctx.services.catalogs.language(code[0]).label
    return Reply(_("Send the {language} text.").format(language=name))


@router.step(BroadcastStep.translation, roles=AUTHORS)
async def take_translation(event: Incoming, ctx: Context) -> Reply | None:
    """One translation, then back to the list."""
    if event.kind is not Kind.text:
        raise BadInput(_("Please type the text."))
    text = event.text.strip()
    if len(text) > TEXT_MAX:
        raise BadInput(_("Please send at most {limit} characters.").format(limit=TEXT_MAX))
    texts = dict(ctx.state.get("texts", {}))
    texts[str(ctx.state["lang"])] = text
    data = {k: v for k, v in ctx.state.data.items() if k != "lang"}
    ctx.state.enter(BroadcastStep.languages, **{**data, "texts": texts})
    return _ask_translations(ctx)


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
    if event.kind is Kind.choice:
        return None
    moment = parse_when(event.text, ctx.now, ctx) if event.kind is Kind.text else None
    if moment is None or moment < ctx.now:
        raise BadInput(_("Please type a day and time still to come, like 20/12 08:00."))
    ctx.state.update(at=moment.isoformat())
    return await _preview(ctx)


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
        scope_unit_id=_scope(ctx),
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


# --- the author's figures -------------------------------------------------------------------


@router.command("broadcasts", roles=AUTHORS, help=N_("your announcements and polls, with figures"))
@router.choice("bcl", roles=AUTHORS)
async def my_broadcasts(event: Incoming, ctx: Context) -> Reply:
    """The author's latest announcements and polls, each with its figures now."""
    ctx.state.clear()
    mine = await ctx.repos.broadcasts.by_author(ctx.user.id)
    if not mine:
        return Reply(_("You have sent no announcements or polls yet."), choices=(menu_choice(),))
    lines = [_("**Your announcements and polls**")]
    choices: list[Choice] = []
    default = ctx.services.settings.default_language
    for broadcast in mine:
        numbers = await figures(ctx.repos, broadcast)
        title = escape(broadcast.texts.get(default, "")[:60])
        icon = "📊" if broadcast.kind == BroadcastKind.poll.value else "📢"
        lines += ["", f"{icon} #{broadcast.id} {title}", figures_text(broadcast, numbers)]
        if broadcast.kind == BroadcastKind.poll.value:
            choices.append(
                choice(
                    "bcr",
                    broadcast.id,
                    label=_("Results of poll #{number}").format(number=broadcast.id),
                )
            )
    return Reply("\n".join(lines), choices=(*choices, menu_choice()))


@router.choice("bcr", roles=AUTHORS)
async def show_results(event: Incoming, ctx: Context) -> list[Reply]:
    """A poll's results so far: the table and the chart."""
    raw = args_of(event)[:1]
    poll = await ctx.repos.broadcasts.get(int(raw[0])) if raw and raw[0].isdigit() else None
    if poll is None or poll.author_id != ctx.user.id or poll.kind != BroadcastKind.poll.value:
        raise stale()
    settings = ctx.services.settings
    results = await poll_results(ctx.repos, poll, ctx.services.org, settings.default_language)
    chart = draw_chart(results, settings.media_dir / "polls" / f"poll-{poll.id}-now.png")
    return [
        Reply(results_table(results, ctx.services.org)),
        Reply(
            _("The answers as a chart (numbered as in the table)."),
            attachment=Attachment(AttachmentKind.photo, chart),
            choices=(menu_choice(),),
        ),
    ]
