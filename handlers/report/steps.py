"""The report flow's steps: each takes the reporter's answer, stores it and moves on."""

from __future__ import annotations

from datetime import timedelta

from bot.core.chat import Incoming, Kind, Reply, choice, escape, parse_choice
from bot.core.i18n import _, format_day, format_number
from bot.engine import BadInput, Context, check_length
from db.models import MediaKind, Report
from handlers.admin import unit_name
from handlers.report.attachments import attach_voice
from handlers.report.confirm import take_confirm, take_edit
from handlers.report.flow import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    FLOW,
    MAX_PEOPLE,
    OTHER_MAX,
    PLACE_MAX,
    REPORTERS,
    Answer,
    ReportStep,
    StepHandler,
    advance,
    current_draft,
    go,
    local_today,
    previous,
    router,
    wrong_button,
)
from handlers.report.notices import unit_scope
from handlers.report.parse import (
    NO_WORDS,
    fold,
    is_done,
    is_skip,
    match_activity,
    parse_count,
    parse_day,
    parse_numbers,
)
from handlers.report.photos import take_location, take_photos
from handlers.report.views import Activity
from handlers.start import main_menu_choices

_ACTIVITY_NAMES = frozenset(kind.value for kind in Activity)


async def take_activity(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """The kind of activity: a button, or words that name exactly one kind."""
    kind: Activity | None = None
    if answer.action == "a" and answer.args and answer.args[0] in _ACTIVITY_NAMES:
        kind = Activity(answer.args[0])
    elif answer.action:
        raise wrong_button()
    elif answer.event.kind is Kind.text:
        kind = match_activity(answer.text)
    if kind is None:
        raise BadInput(
            _("Please choose the kind of activity from the list (you can type its number).")
        )
    report.activity = kind.value
    if kind is not Activity.other:
        report.activity_other = ""
    return await advance(ctx, report, ReportStep.activity)


async def take_other(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """The reporter's name for an activity of another kind."""
    if answer.action:
        raise wrong_button()
    report.activity_other = check_length(
        answer.text if answer.event.kind is Kind.text else "",
        OTHER_MAX,
        _("Please keep it short: at most {limit} characters (you wrote {length})."),
        least=3,
        too_short=_("Please type a few words, for example: cultural exchange."),
    )
    return await advance(ctx, report, ReportStep.other)


async def take_unit(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Where it happened: a button, or a typed name (old names of merged units too, and
    villages officers added); a name Loa does not know is kept as typed, for the officer."""
    scope = await unit_scope(ctx)
    note = ""
    if answer.action == "u" and answer.args:
        unit_id = answer.args[0]
    elif answer.action:
        raise wrong_button()
    elif answer.event.kind is Kind.text:
        typed = answer.text
        resolution = ctx.services.org.resolve(typed)
        if resolution.unit is None and resolution.candidates:
            allowed = [u for u in resolution.candidates if scope is None or u.id in scope]
            raise BadInput(
                _("“{name}” is now part of: {units}. Please choose one.").format(
                    name=escape(typed),
                    units=", ".join(escape(u.name) for u in allowed) or "—",
                )
            )
        if resolution.unit is None:
            home = ctx.user.unit_id or report.unit_id
            parents = [home, *(unit.id for unit in await ctx.repos.units.children(home))]
            added = await ctx.repos.units.find_under(parents, typed)
            if added is None:
                return await _place_as_typed(ctx, report, typed, home)
            unit_id = added.id
        else:
            unit_id = resolution.unit.id
        if resolution.dissolved is not None and resolution.unit is not None:
            note = _("{old} is now {new}.").format(
                old=escape(resolution.dissolved.name), new=escape(resolution.unit.name)
            )
    else:
        raise BadInput(_("Please choose the place, or type its name."))
    if (scope is not None and unit_id not in scope) or await ctx.repos.units.get(unit_id) is None:
        raise BadInput(
            _(
                "You can report only for {unit} and the places under it. Please choose "
                "from the list."
            ).format(unit=escape(await unit_name(ctx, ctx.user.unit_id)))
        )
    report.unit_id = unit_id
    report.place_text = ""
    ack = _("Place: {unit}.").format(unit=escape(await unit_name(ctx, unit_id)))
    return await advance(ctx, report, ReportStep.unit, " ".join(p for p in (note, ack) if p))


async def _place_as_typed(ctx: Context, report: Report, typed: str, home: str) -> list[Reply]:
    """Keep a place name Loa does not know, under the reporter's own unit."""
    name = check_length(
        " ".join(typed.split()),
        PLACE_MAX,
        _("Please keep the name of the place under {limit} characters (you wrote {length})."),
        least=2,
        too_short=_("Please type the name of the village or commune."),
    )
    report.unit_id = home
    report.place_text = name
    ack = _(
        "“{name}” is not on Loa's list of places yet. It is kept as you typed it, as a place "
        "of {unit}, and the officer will confirm it."
    ).format(name=escape(name), unit=escape(await unit_name(ctx, home)))
    return await advance(ctx, report, ReportStep.unit, ack)


async def take_date(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """The day: today, yesterday, or a typed date within the window."""
    today = local_today(ctx)
    if answer.action == "d" and answer.args in (("0",), ("1",)):
        when = today - timedelta(days=int(answer.args[0]))
    elif answer.action:
        raise wrong_button()
    elif answer.event.kind is Kind.text:
        when = parse_day(answer.text, today, ctx.services.settings.report_max_age_days)
    else:
        raise BadInput(_("Please choose Today or Yesterday, or type the date."))
    report.activity_date = when
    return await advance(
        ctx, report, ReportStep.date, _("Date: {date}.").format(date=format_day(when))
    )


def _count(answer: Answer, most: int, what: str) -> int | None:
    """A typed count for `what`, up to `most`; None when skipped (the caller says if allowed)."""
    if answer.action:
        raise wrong_button()
    if answer.event.kind is not Kind.text:
        raise BadInput(_("Please type a number, for example 35."))
    if is_skip(answer.text):
        return None
    count = parse_count(answer.text)
    if count is None:
        raise BadInput(_("Please type a number, for example 35."))
    if count > most:
        if what == "participants":
            raise BadInput(
                _("That is more than Loa can take ({limit}). Please check the number.").format(
                    limit=format_number(most)
                )
            )
        raise BadInput(
            _(
                "That is more than the {total} people who took part. Please check the number."
            ).format(total=format_number(most))
        )
    return count


async def take_participants(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """How many people took part (required)."""
    count = _count(answer, MAX_PEOPLE, "participants")
    if count is None:
        raise BadInput(
            _("This number is needed. Please type how many people took part, for example 35.")
        )
    report.participants = count
    # Parts of the old total may not fit the new one: ask them again.
    for column in PARTS.values():
        part = getattr(report, column)
        if part is not None and part > count:
            setattr(report, column, None)
    return await advance(ctx, report, ReportStep.participants)


# The optional counts of parts of the people, each the column it fills.
PARTS = {
    ReportStep.minority: "ethnic_minority",
    ReportStep.women: "women",
    ReportStep.young: "young_people",
    ReportStep.children: "children",
}


async def take_part(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """How many of the people were of one group (optional): ethnic-minority people, women,
    young people, children."""
    step = ReportStep(str(ctx.state.step))
    setattr(report, PARTS[step], _count(answer, report.participants or 0, "part"))
    return await advance(ctx, report, step)


async def take_themes(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Dự án 8 topics: each choice ticks or unticks one ("1, 3" typed ticks several); Done
    moves on."""
    offered = ctx.services.settings.report_themes
    picked: list[int] = []
    if answer.action == "t" and answer.args and answer.args[0].isdigit():
        picked = [int(answer.args[0])]
    elif answer.action == "tdone":
        picked = []
    elif answer.action:
        raise wrong_button()
    elif answer.event.kind is Kind.text and (
        is_done(answer.text) or is_skip(answer.text) or fold(answer.text) in NO_WORDS
    ):
        picked = []
    elif answer.event.kind is Kind.text and (numbers := parse_numbers(answer.text)):
        if any(not 1 <= n <= len(offered) for n in numbers):
            raise BadInput(
                _("Please choose topics by their numbers, from 1 to {count}.").format(
                    count=len(offered)
                )
            )
        picked = [n - 1 for n in numbers]
    else:
        raise BadInput(
            _("Please choose the topics from the list (you can type their numbers), then Done.")
        )
    if not picked:
        if not report.themes:
            report.young_people = report.children = None
        return await advance(ctx, report, ReportStep.themes)
    themes = list(report.themes or [])
    for index in picked:
        if index >= len(offered):
            raise wrong_button()
        theme = offered[index]
        themes = [t for t in themes if t != theme] if theme in themes else [*themes, theme]
    report.themes = themes
    report.updated_at = ctx.now
    return await go(ctx, report, ReportStep.themes)


async def take_description(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """A few sentences; a voice message is kept with the report and may stand in for them."""
    kind = answer.event.kind
    if answer.action == "cont":
        if not await ctx.repos.reports.media(report.id, MediaKind.voice):
            raise wrong_button()
        return await advance(ctx, report, ReportStep.description)
    if answer.action:
        raise wrong_button()
    if kind is Kind.voice:
        line, kept = await attach_voice(ctx, report, answer.event.media)
        if not kept:
            return [Reply(line)]
        if report.description:
            return await advance(ctx, report, ReportStep.description, line)
        return [
            Reply(
                line
                + "\n\n"
                + _("If you can, also type a few words about the activity. Or choose Continue."),
                choices=(choice("rp", "cont", label=_("Continue")),),
            )
        ]
    if kind is Kind.photo or kind is Kind.document:
        raise BadInput(_("Photos come next. First describe the activity in a few sentences."))
    if kind is not Kind.text:
        raise BadInput(_("Please describe the activity in words, or send a voice message."))
    report.description = check_length(
        answer.text,
        DESCRIPTION_MAX,
        _("Please keep the description under {limit} characters (you wrote {length})."),
        least=DESCRIPTION_MIN,
        too_short=_(
            "Please write a little more (at least {limit} characters): what was done and who came."
        ),
    )
    return await advance(ctx, report, ReportStep.description)


STEPS: dict[ReportStep, StepHandler] = {
    ReportStep.activity: take_activity,
    ReportStep.other: take_other,
    ReportStep.unit: take_unit,
    ReportStep.date: take_date,
    ReportStep.themes: take_themes,
    ReportStep.participants: take_participants,
    **dict.fromkeys(PARTS, take_part),
    ReportStep.description: take_description,
    ReportStep.photos: take_photos,
    ReportStep.location: take_location,
    ReportStep.confirm: take_confirm,
    ReportStep.edit: take_edit,
}


# Files are downloaded only where a step keeps them (bot/engine.py: Router.takes).
router.takes(ReportStep.description, Kind.voice)
router.takes(ReportStep.photos, Kind.photo, Kind.document, Kind.voice)


@router.step(*FLOW, ReportStep.other, ReportStep.edit, roles=REPORTERS)
async def in_flow(event: Incoming, ctx: Context) -> list[Reply] | None:
    """Hand the answer to its step; other features' buttons pass through."""
    answer = Answer(event)
    if event.kind is Kind.choice:
        parsed = parse_choice(event.choice)
        if parsed is None or parsed[0] != "rp" or not parsed[1]:
            return None
        if parsed[1][0] in ("go", "new", "my", "more", "wd", "re"):
            return None
        answer = Answer(event, parsed[1][0], tuple(parsed[1][1:]))
    report = await current_draft(ctx)
    if report is None:
        ctx.state.clear()
        return [
            Reply(_("This report was already sent or deleted."), choices=main_menu_choices(ctx))
        ]
    step = ReportStep(str(ctx.state.step))
    return await STEPS[step](answer, ctx, report)


@router.back(*FLOW, ReportStep.other, ReportStep.edit)
async def go_back(event: Incoming, ctx: Context) -> list[Reply]:
    """Go back one question; the answers given so far stay until they are answered again."""
    report = await current_draft(ctx)
    if report is None:
        ctx.state.clear()
        return [
            Reply(_("This report was already sent or deleted."), choices=main_menu_choices(ctx))
        ]
    before = previous(ReportStep(str(ctx.state.step)), report)
    if before is None:
        raise BadInput(
            _(
                "This is the first question: there is nothing before it. Send /cancel to "
                "stop; your report is kept."
            )
        )
    return await go(ctx, report, before, lead=_("Back to the question before."))


@router.cancelled(*FLOW, ReportStep.other, ReportStep.edit)
async def report_cancelled(event: Incoming, ctx: Context) -> Reply:
    """Say that stopping keeps the draft, and how to go on with it."""
    return Reply(
        _(
            "Stopped. Your report is kept as a draft and was not sent. To go on with it, "
            "send /report or choose “Send a report”."
        )
    )
