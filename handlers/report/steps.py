"""The report flow's steps: each takes the reporter's answer, stores it and moves on."""

from __future__ import annotations

from datetime import timedelta

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
from bot.core.i18n import _, format_day, format_number
from bot.engine import BadInput, Context, check_length
from bot.reports.media import open_store
from db.models import MediaKind, Report, ReportStatus
from handlers.admin import unit_name
from handlers.report.attachments import attach_photos, attach_voice, forget_files
from handlers.report.flow import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    EDITABLE,
    FLOW,
    MAX_PEOPLE,
    MAX_PHOTOS,
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
    photos_prompt,
    photos_required,
    previous,
    router,
    wrong_button,
)
from handlers.report.notices import notify_reviewers, unit_scope, who_reviews
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


async def take_photos(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Photos (an album at once), a voice message, "done", or removing what was sent."""
    event = answer.event
    if answer.action in REMOVING:
        return await remove_photos(answer, ctx, report)
    if answer.action == "done" or (event.kind is Kind.text and is_done(answer.text)):
        has_photos = bool(await ctx.repos.reports.media(report.id, MediaKind.photo))
        if not has_photos and photos_required(ctx, report):
            raise BadInput(_("Please send at least one photo of the activity first."))
        return await advance(ctx, report, ReportStep.photos)
    if answer.action:
        raise wrong_button()
    if event.kind is Kind.voice:
        line, _kept = await attach_voice(ctx, report, event.media)
        return [Reply(line, choices=(await photos_prompt(ctx, report)).choices)]
    if event.kind not in (Kind.photo, Kind.document):
        raise BadInput(_('Please send photos, or type "done" when you have sent them all.'))
    lines, added, total = await attach_photos(ctx, report, event.media)
    caption = event.text.strip()
    if caption and is_done(caption):
        caption = ""
        if total:
            return await advance(ctx, report, ReportStep.photos, "\n".join(lines))
    if caption:
        joined = f"{report.description}\n{caption}".strip()
        if len(joined) <= DESCRIPTION_MAX:
            report.description = joined
            lines.append(_("The caption was added to the description."))
    if total >= MAX_PHOTOS:
        lines.append(_("That is the most a report can have."))
        return await advance(ctx, report, ReportStep.photos, "\n".join(lines))
    reply = await photos_prompt(ctx, report)
    if total and not added:
        lines.append(_("Photos so far: {count}.").format(count=total))
    lines.append(_('Send more, or type "done".') if total else reply.text)
    return [Reply("\n".join(lines), choices=reply.choices)]


REMOVING = frozenset({"rmp", "rmx", "rmall", "keep"})


async def remove_photos(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Show the photos to pick one to remove; remove it, or all of them, or none."""
    photos = await ctx.repos.reports.media(report.id, MediaKind.photo)
    done = ""
    if answer.action == "rmall":
        await forget_files(ctx, await ctx.repos.reports.remove_media(report.id, MediaKind.photo))
        done = _("The photos were removed.")
    elif answer.action == "rmx":
        # By id, not position: a number shown before another removal would name another photo.
        ids = [str(photo.id) for photo in photos]
        if not answer.args or answer.args[0] not in ids:
            raise wrong_button()
        await forget_files(ctx, await ctx.repos.reports.remove_one_media(int(answer.args[0])))
        number = ids.index(answer.args[0]) + 1
        done = _("Photo {number} was removed.").format(number=number)
    if answer.action != "rmp" or not photos:
        report.updated_at = ctx.now
        reply = await photos_prompt(ctx, report)
        text = f"{done}\n\n{reply.text}" if done else reply.text
        return [Reply(text, choices=reply.choices)]
    store = open_store(ctx.services.settings)
    replies = [
        Reply(
            _("Photo {number}").format(number=n),
            attachment=Attachment(
                AttachmentKind.photo, store.local_path(photo.thumb_path or photo.path)
            ),
        )
        for n, photo in enumerate(photos, 1)
    ]
    choices = [
        choice("rp", "rmx", photo.id, label=_("🗑 Photo {number}").format(number=n))
        for n, photo in enumerate(photos, 1)
    ]
    if len(photos) > 1:
        choices.append(
            choice("rp", "rmall", label=_("🗑 All {count} photos").format(count=len(photos)))
        )
    choices.append(choice("rp", "keep", label=_("⬅ Keep them all")))
    replies.append(Reply(_("Which photo do you want to remove?"), choices=tuple(choices)))
    return replies


async def take_location(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """A shared location, or skip."""
    event = answer.event
    declined = event.kind is Kind.text and (is_skip(answer.text) or fold(answer.text) in NO_WORDS)
    if answer.action == "skip" or declined:
        return await advance(ctx, report, ReportStep.location)
    if answer.action:
        raise wrong_button()
    point = event.location
    if event.kind is not Kind.location or point is None:
        raise BadInput(_("Please share a location, or choose Skip."))
    if not (-90 <= point.latitude <= 90 and -180 <= point.longitude <= 180):
        raise BadInput(_("That location is not valid. Please share it again, or choose Skip."))
    report.latitude, report.longitude = point.latitude, point.longitude
    return await advance(ctx, report, ReportStep.location, _("Location saved."))


async def take_confirm(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Send, change something, or delete the draft."""
    if answer.action == "edit":
        return await go(ctx, report, ReportStep.edit)
    if answer.action == "del":
        await forget_files(ctx, await ctx.repos.reports.discard(report))
        ctx.state.clear()
        return [
            Reply(_("The report was deleted. Nothing was sent."), choices=main_menu_choices(ctx))
        ]
    if answer.action != "send":
        if answer.action:
            raise wrong_button()
        raise BadInput(_("Please choose: send the report, change something, or delete it."))
    missing = await _first_missing(ctx, report)
    if missing is not None:
        return await go(ctx, report, missing, lead=_("One answer is still missing."))
    event = await ctx.repos.reports.change_status(
        report, ReportStatus.submitted, actor_id=ctx.user.id, now=ctx.now
    )
    asked = await notify_reviewers(ctx, report, event)
    ctx.state.clear()
    text = _("Thank you! Report #{number} is sent.").format(number=report.id)
    text += " " + await who_reviews(ctx, report, asked)
    text += " " + _("/myreports shows your reports.")
    return [Reply(text, choices=main_menu_choices(ctx))]


async def _first_missing(ctx: Context, report: Report) -> ReportStep | None:
    """The first required answer a draft lacks (drafts resumed after an update may)."""
    if report.activity is None:
        return ReportStep.activity
    if report.activity == Activity.other.value and not report.activity_other:
        return ReportStep.other
    if report.activity_date is None:
        return ReportStep.date
    if report.participants is None:
        return ReportStep.participants
    if not report.description and not await ctx.repos.reports.media(report.id, MediaKind.voice):
        return ReportStep.description
    if photos_required(ctx, report) and not await ctx.repos.reports.media(
        report.id, MediaKind.photo
    ):
        return ReportStep.photos
    return None


async def take_edit(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Which answer to change; after it, back to the summary."""
    if answer.action == "back":
        return await go(ctx, report, ReportStep.confirm)
    if answer.action == "f" and answer.args and answer.args[0] in EDITABLE:
        ctx.state.update(editing=True)
        return await go(ctx, report, EDITABLE[answer.args[0]][1])
    if answer.action:
        raise wrong_button()
    raise BadInput(_("Please choose what to change (you can type its number)."))


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
