"""Report an outreach activity from the field: what, where, when, who came, photos; then send.

    activity ─(other)→ other → unit → date → participants → minority → women
      → description (text, or a voice note) → photos (1–10, "xong") → location → confirm
    confirm: send | change one answer (→ its step → back to confirm) | delete the draft

The draft is a `reports` row (status draft) and remembers its step; the conversation holds
only its id, so a restart continues where the reporter stopped, and after /cancel, /report
offers to continue it. Every step re-asks with a reason when the answer does not fit and
changes nothing then. Sending records the status change and notifies the officers of the
report's unit and of its parent; handlers/review.py takes their decisions. Reporters also
answer an officer's question here (text and photos), which sends the report back for review.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from pathlib import Path

from bot.core import chat
from bot.core.chat import (
    Attachment,
    AttachmentKind,
    Choice,
    Incoming,
    Kind,
    MediaRef,
    Reply,
    choice,
    escape,
    parse_choice,
)
from bot.core.i18n import N_, _, format_day, format_number
from bot.engine import BadInput, Context, Router
from bot.reports.media import (
    MediaLimits,
    MediaProblem,
    MediaRejected,
    open_store,
    take_photo,
    take_voice,
)
from db.models import MediaKind, Report, ReportEvent, ReportMedia, ReportStatus, Role, User
from handlers.admin import describe_user, role_label, unit_name
from handlers.start import main_menu_choices

router = Router("report")

REPORTERS = (Role.reporter, Role.officer, Role.admin)
OFFICERS = (Role.officer, Role.admin)
MAX_PHOTOS = 10
MAX_PEOPLE = 100_000
DESCRIPTION_MIN = 10  # characters: "họp thôn" alone says too little
DESCRIPTION_MAX = 1000
OTHER_MAX = 100
RECENT = 10  # reports listed by /myreports and /pending

router.menu(1, N_("Send a report"), "report", roles=REPORTERS)
router.menu(2, N_("My reports"), "myreports", roles=REPORTERS)


class Activity(StrEnum):
    """The forms of communication of the plan (§III.2), plus "other"."""

    conference = "conference"
    loudspeaker = "loudspeaker"
    door_to_door = "door_to_door"
    printed = "printed"
    bilingual = "bilingual"
    honouring = "honouring"
    news = "news"
    other = "other"


ACTIVITY_LABELS = {
    Activity.conference: N_("Conference or meeting"),
    Activity.loudspeaker: N_("Loudspeaker or radio broadcast"),
    Activity.door_to_door: N_("Door-to-door or mobile propaganda"),
    Activity.printed: N_("Posters, banners or leaflets"),
    Activity.bilingual: N_("Bilingual materials"),
    Activity.honouring: N_("Honouring model households or people"),
    Activity.news: N_("News articles or website posts"),
    Activity.other: N_("Other activity"),
}

# Words people type for each kind (folded: no accents, lower case), in Vietnamese and English.
ACTIVITY_WORDS = {
    Activity.conference: ("hoi nghi", "hoi thao", "hop", "conference", "meeting"),
    Activity.loudspeaker: ("loa", "truyen thanh", "phat thanh", "radio", "loudspeaker"),
    Activity.door_to_door: ("tai nha", "den nha", "tung nha", "luu dong", "door"),
    Activity.printed: ("pano", "ap phich", "to roi", "to gap", "bang ron", "poster", "leaflet"),
    Activity.bilingual: ("song ngu", "bilingual"),
    Activity.honouring: ("bieu duong", "ton vinh", "dien hinh", "khen thuong", "honour"),
    Activity.news: ("tin bai", "bai viet", "trang tin", "website", "news"),
}

STATUS_LABELS = {
    ReportStatus.draft: N_("not sent yet"),
    ReportStatus.submitted: N_("waiting for review"),
    ReportStatus.approved: N_("approved"),
    ReportStatus.rejected: N_("rejected"),
    ReportStatus.needs_info: N_("more information asked"),
}

# Words that finish the photos or skip an optional question, in every language; the
# msgids hold the English ones, each catalog its own (separated by "|").
DONE_WORDS = N_("done|finished|that's all")
# A bare "không" is not a skip: asked "how many women?", it means none.
SKIP_WORDS = N_("skip|don't know")
_DONE_VI = {"xong", "xong roi", "het", "da xong", "hoan thanh", "ok xong"}
_SKIP_VI = {"bo qua", "khong ro", "khong biet", "chua ro"}
_NO = {"khong", "ko", "no"}
_TODAY = {"hom nay", "today", "nay"}
_YESTERDAY = {"hom qua", "yesterday", "qua"}


class ReportStep(StrEnum):
    """Steps of the report flow, in order."""

    activity = "report.activity"
    other = "report.other"
    unit = "report.unit"
    date = "report.date"
    participants = "report.participants"
    minority = "report.minority"
    women = "report.women"
    description = "report.description"
    photos = "report.photos"
    location = "report.location"
    confirm = "report.confirm"
    edit = "report.edit"
    more = "report.more"  # answering an officer's question about a sent report


FLOW = (
    ReportStep.activity,
    ReportStep.unit,
    ReportStep.date,
    ReportStep.participants,
    ReportStep.minority,
    ReportStep.women,
    ReportStep.description,
    ReportStep.photos,
    ReportStep.location,
    ReportStep.confirm,
)

# What "change something" offers, and the step each answer goes back to.
EDITABLE = {
    "activity": (N_("Kind of activity"), ReportStep.activity),
    "unit": (N_("Place"), ReportStep.unit),
    "date": (N_("Date"), ReportStep.date),
    "people": (N_("Number of people"), ReportStep.participants),
    "text": (N_("Description"), ReportStep.description),
    "photos": (N_("Photos"), ReportStep.photos),
    "location": (N_("Location"), ReportStep.location),
}


def fold(text: str) -> str:
    """Text for matching words: no accents (đ → d), lower case, no closing punctuation."""
    return chat.fold(text).strip(" .!")


def _is_word(text: str, msgid: str, vietnamese: set[str]) -> bool:
    folded = fold(text)
    words = {fold(w) for w in _(msgid).split("|")} | {fold(w) for w in msgid.split("|")}
    return folded in words | vietnamese


def is_done(text: str) -> bool:
    """Whether the message says "that's all the photos" (xong, done, …)."""
    return _is_word(text, DONE_WORDS, _DONE_VI)


def is_skip(text: str) -> bool:
    """Whether the message skips an optional question (bỏ qua, không rõ, skip, …)."""
    return _is_word(text, SKIP_WORDS, _SKIP_VI)


# --- scope ------------------------------------------------------------------------------------


async def unit_scope(ctx: Context) -> set[str] | None:
    """Units the user may report for or review: their unit and all under it (None: all)."""
    if ctx.role is Role.admin:
        return None
    if ctx.user.unit_id is None:
        return set()
    return await ctx.repos.reports.subtree(ctx.user.unit_id)


async def can_review(ctx: Context, report: Report) -> bool:
    """Whether the user may decide on `report`: an officer of its unit or above, or an admin,
    and never on their own report."""
    if ctx.role not in OFFICERS or report.reporter_id == ctx.user.id:
        return False
    scope = await unit_scope(ctx)
    return scope is None or report.unit_id in scope


# --- views: what people read about a report ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhotoView:
    """A stored photo and what it says about itself."""

    path: Path
    taken_at: datetime | None
    gps: tuple[float, float] | None
    repeat_of: int | None


@dataclass(frozen=True, slots=True)
class EventView:
    """One line of the audit trail."""

    at: datetime
    actor: str
    from_status: str | None
    to_status: str
    note: str


@dataclass(frozen=True, slots=True)
class ReportView:
    """A report with everything its summary shows, read before rendering.

    Rendering is synchronous so notifications can render it in each recipient's language.
    """

    id: int
    status: ReportStatus
    activity: str | None
    activity_other: str
    activity_date: date | None
    unit: str
    participants: int | None
    minority: int | None
    women: int | None
    description: str
    location: tuple[float, float] | None
    reporter: str
    reporter_role: str
    reporter_unit: str
    photos: tuple[PhotoView, ...]
    voices: tuple[Path, ...]
    events: tuple[EventView, ...]
    tz: tzinfo


async def load_view(ctx: Context, report: Report) -> ReportView:
    """Read what a summary of `report` shows."""
    store = open_store(ctx.services.settings)
    photos = []
    voices = []
    for media in await ctx.repos.reports.media(report.id):
        if media.kind == MediaKind.voice.value:
            voices.append(store.local_path(media.path))
            continue
        repeat_of = None
        if media.duplicate:
            repeat_of = await ctx.repos.reports.first_report_with(
                media.sha256, other_than=report.id
            )
        gps = None
        if media.gps_lat is not None and media.gps_lon is not None:
            gps = (media.gps_lat, media.gps_lon)
        photos.append(PhotoView(store.local_path(media.path), media.taken_at, gps, repeat_of))
    events = tuple(
        EventView(
            event.at,
            describe_user(user) if user else "",
            event.from_status,
            event.to_status,
            event.note,
        )
        for event, user in await ctx.repos.reports.events(report.id)
    )
    reporter = await ctx.repos.users.get(report.reporter_id)
    location = None
    if report.latitude is not None and report.longitude is not None:
        location = (report.latitude, report.longitude)
    return ReportView(
        id=report.id,
        status=ReportStatus(report.status),
        activity=report.activity,
        activity_other=report.activity_other,
        activity_date=report.activity_date,
        unit=await unit_name(ctx, report.unit_id),
        participants=report.participants,
        minority=report.ethnic_minority,
        women=report.women,
        description=report.description,
        location=location,
        reporter=describe_user(reporter) if reporter else "",
        reporter_role=reporter.role if reporter else Role.reporter.value,
        reporter_unit=await unit_name(ctx, reporter.unit_id) if reporter else "",
        photos=tuple(photos),
        voices=tuple(voices),
        events=events,
        tz=ctx.services.settings.tz,
    )


def activity_label(activity: str | None, other: str = "") -> str:
    """The kind of activity in the current language (the reporter's words for "other")."""
    if activity is None:
        return "—"
    if activity == Activity.other.value and other:
        return _("Other: {text}").format(text=escape(other))
    try:
        return _(ACTIVITY_LABELS[Activity(activity)])
    except ValueError:
        return escape(activity)


def status_label(status: str) -> str:
    """A report status in the current language."""
    try:
        return _(STATUS_LABELS[ReportStatus(status)])
    except ValueError:
        return status


def _when(at: datetime, tz: tzinfo) -> str:
    local = at.astimezone(tz)
    return f"{format_day(local)} {local:%H:%M}"


def _place(point: tuple[float, float]) -> str:
    return f"{point[0]:.5f}, {point[1]:.5f}"


def summary_text(view: ReportView, *, title: str, for_officer: bool = False) -> str:
    """The report as one message: every answer, the attachments and (once sent) its trail."""
    lines = [f"**{title}**"]
    lines.append(
        _("Activity: {activity}").format(
            activity=activity_label(view.activity, view.activity_other)
        )
    )
    lines.append(_("Place: {unit}").format(unit=escape(view.unit)))
    lines.append(
        _("Date: {date}").format(
            date=format_day(view.activity_date) if view.activity_date else "—"
        )
    )
    people = format_number(view.participants) if view.participants is not None else "—"
    extra = []
    if view.minority is not None:
        extra.append(_("ethnic minority: {count}").format(count=format_number(view.minority)))
    if view.women is not None:
        extra.append(_("women: {count}").format(count=format_number(view.women)))
    if extra:
        people = f"{people} ({'; '.join(extra)})"
    lines.append(_("People taking part: {people}").format(people=people))
    lines.append(_("Description: {text}").format(text=escape(view.description) or "—"))
    repeats = sum(1 for photo in view.photos if photo.repeat_of is not None)
    photos = _("Photos: {count}").format(count=len(view.photos))
    if repeats:
        photos += " " + _("({count} already sent with another report)").format(count=repeats)
    lines.append(photos)
    if view.voices:
        lines.append(_("Voice notes: {count}").format(count=len(view.voices)))
    lines.append(
        _("Location: {place}").format(
            place=_place(view.location) if view.location else _("not given")
        )
    )
    if for_officer:
        lines.append(
            _("Sent by: {name} ({role}, {unit})").format(
                name=escape(view.reporter),
                role=role_label(view.reporter_role),
                unit=escape(view.reporter_unit),
            )
        )
    if view.status is not ReportStatus.draft:
        lines.append(_("Status: {status}").format(status=status_label(view.status)))
        history = [_event_line(event, view.tz) for event in view.events]
        if history:
            lines.append("")
            lines.append(_("**History**"))
            lines.extend(history)
    return "\n".join(lines)


def _event_line(event: EventView, tz: tzinfo) -> str:
    when = _when(event.at, tz)
    who = escape(event.actor)
    note = escape(event.note)
    to = event.to_status
    if to == ReportStatus.submitted.value and event.from_status == ReportStatus.needs_info.value:
        if note:
            return _("{when}: {who} answered: “{note}”").format(when=when, who=who, note=note)
        return _("{when}: {who} added photos").format(when=when, who=who)
    if to == ReportStatus.submitted.value:
        return _("{when}: sent by {who}").format(when=when, who=who)
    if to == ReportStatus.approved.value:
        return _("{when}: approved by {who}").format(when=when, who=who)
    if to == ReportStatus.rejected.value:
        return _("{when}: rejected by {who}. Reason: “{note}”").format(
            when=when, who=who, note=note
        )
    if to == ReportStatus.needs_info.value:
        return _("{when}: {who} asked: “{note}”").format(when=when, who=who, note=note)
    return f"{when}: {status_label(to)}"


def photo_caption(view: ReportView, number: int, photo: PhotoView) -> str:
    """What an officer reads under a photo: which report, when and where it was taken."""
    parts = [
        _("Report #{number}: photo {n} of {total}").format(
            number=view.id, n=number, total=len(view.photos)
        )
    ]
    if photo.taken_at is not None:
        parts.append(_("taken {when}").format(when=_when(photo.taken_at, view.tz)))
    if photo.gps is not None:
        parts.append(_("GPS {place}").format(place=_place(photo.gps)))
    if photo.repeat_of is not None:
        parts.append(_("⚠ already sent with report #{number}").format(number=photo.repeat_of))
    return " · ".join(parts)


def review_choices(report_id: int) -> tuple[Choice, ...]:
    """What an officer can decide (handled in handlers/review.py)."""
    return (
        choice("rv", "ok", report_id, label=_("✅ Approve")),
        choice("rv", "no", report_id, label=_("❌ Reject")),
        choice("rv", "ask", report_id, label=_("❓ Ask for more information")),
    )


def review_replies(view: ReportView, lead: str) -> list[Reply]:
    """An officer's view of a report: its photos and voice notes, then the summary to decide."""
    replies = [
        Reply(
            photo_caption(view, n, photo), attachment=Attachment(AttachmentKind.photo, photo.path)
        )
        for n, photo in enumerate(view.photos, 1)
    ]
    replies.extend(
        Reply(
            _("Report #{number}: voice note").format(number=view.id),
            attachment=Attachment(AttachmentKind.voice, path),
        )
        for path in view.voices
    )
    text = summary_text(view, title=_("Report #{number}").format(number=view.id), for_officer=True)
    if lead:
        text = f"{lead}\n\n{text}"
    decidable = view.status is ReportStatus.submitted
    replies.append(Reply(text, choices=review_choices(view.id) if decidable else ()))
    return replies


async def reviewers(ctx: Context, report: Report) -> list[User]:
    """Who is asked to review: officers of the report's unit and of its parent.

    When nobody holds those posts (yet), the request goes further up, and in the end to the
    admins, so that no report waits unseen. The reporter never reviews their own report.
    """
    chain = [report.unit_id]
    unit = await ctx.repos.units.get(report.unit_id)
    while unit is not None and unit.parent_id is not None and unit.parent_id not in chain:
        chain.append(unit.parent_id)
        unit = await ctx.repos.units.get(unit.parent_id)
    levels = [chain[:2], *([unit_id] for unit_id in chain[2:])]
    for units in levels:
        found = await ctx.repos.reports.users_with_role([Role.officer], units)
        found = [user for user in found if user.id != report.reporter_id]
        if found:
            return found
    admins = await ctx.repos.reports.users_with_role([Role.admin])
    return [user for user in admins if user.id != report.reporter_id]


async def notify_reviewers(ctx: Context, report: Report, event: ReportEvent) -> int:
    """Queue the report, with its photos, for every reviewer; how many were asked."""
    view = await load_view(ctx, report)
    answered = event.from_status == ReportStatus.needs_info.value

    def build() -> list[Reply]:
        if answered:
            lead = _("The reporter answered your question about report #{number}.")
        else:
            lead = _("A new report is waiting for your review.")
        return review_replies(view, lead.format(number=view.id))

    recipients = await reviewers(ctx, report)
    for officer in recipients:
        await ctx.notify(
            officer,
            build,
            key=f"report:{report.id}:review:{event.id}:{officer.id}",
            kind="report_review",
        )
    return len(recipients)


# --- starting and resuming --------------------------------------------------------------------


@router.command(
    "report", "baocao", roles=REPORTERS, help=N_("send an activity report with photos")
)
@router.choice("report", roles=REPORTERS)
async def start_report(event: Incoming, ctx: Context) -> list[Reply]:
    """Open a draft, or offer to continue the unfinished one."""
    if ctx.state.step in FLOW or ctx.state.step in (ReportStep.other, ReportStep.edit):
        draft = await _draft(ctx)
        if draft is not None:
            return await go(
                ctx,
                draft,
                ReportStep(str(ctx.state.step)),
                lead=_("Let's go on with your report."),
            )
    draft = await ctx.repos.reports.open_draft(ctx.user.id)
    if draft is not None:
        ctx.state.clear()
        text = _(
            "You have a report that is not sent yet ({activity}, started {date}). Continue it, "
            "or start a new one?"
        ).format(
            activity=activity_label(draft.activity, draft.activity_other),
            date=format_day(draft.created_at.astimezone(ctx.services.settings.tz)),
        )
        return [
            Reply(
                text,
                choices=(
                    choice("rp", "go", draft.id, label=_("▶ Continue that report")),
                    choice("rp", "new", draft.id, label=_("🆕 Start a new report")),
                    choice("menu", label=_("🏠 Main menu")),
                ),
            )
        ]
    return await _new_draft(ctx)


async def _new_draft(ctx: Context) -> list[Reply]:
    scope = await unit_scope(ctx)
    unit_id = ctx.user.unit_id
    if unit_id is None and scope is not None:
        ctx.state.clear()
        return [
            Reply(
                _(
                    "Your account is not linked to a commune or village yet, so you cannot send "
                    "reports. Please ask your officer for a new invite code."
                ),
                choices=main_menu_choices(ctx),
            )
        ]
    if unit_id is None:  # an admin without a unit: the district's root unit to start with
        unit_id = ctx.services.org.units[0].id
    draft = await ctx.repos.reports.new_draft(ctx.user.id, unit_id, ctx.now)
    return await go(
        ctx,
        draft,
        ReportStep.activity,
        lead=_(
            "**New report.** I will ask a few short questions. Send /cancel to stop at any time: "
            "what you entered is kept, and /report continues it."
        ),
    )


async def _draft(ctx: Context) -> Report | None:
    """The draft the conversation is about, if it is still this user's draft."""
    draft_id = ctx.state.get("draft_id")
    if not isinstance(draft_id, int):
        return None
    report = await ctx.repos.reports.get(draft_id)
    if report is None or report.reporter_id != ctx.user.id:
        return None
    if report.status != ReportStatus.draft.value:
        return None
    return report


@router.choice("rp", roles=REPORTERS)
async def report_choice(event: Incoming, ctx: Context) -> list[Reply]:
    """Buttons of the report flow pressed outside it: continue, start anew, open, answer."""
    parsed = parse_choice(event.choice)
    args = parsed[1] if parsed else []
    action = args[0] if args else ""
    number = int(args[1]) if len(args) > 1 and args[1].isdigit() else 0
    if action in ("go", "new"):
        draft = await ctx.repos.reports.get(number)
        if draft is None or draft.reporter_id != ctx.user.id or draft.status != "draft":
            return await start_report(event, ctx)
        if action == "new":
            await ctx.repos.reports.discard(draft)
            return await _new_draft(ctx)
        step = ReportStep(draft.draft_step) if draft.draft_step in _STEP_NAMES else FLOW[0]
        return await go(ctx, draft, step, lead=_("Let's go on with your report."))
    if action == "my":
        return await open_my_report(ctx, number)
    if action == "more":
        return await start_answer(ctx, number)
    ctx.state.clear()
    return [
        Reply(
            _(
                "That button belongs to a question you are no longer answering. Send /report to "
                "continue your report."
            ),
            choices=main_menu_choices(ctx),
        )
    ]


# --- the flow ---------------------------------------------------------------------------------

_STEP_NAMES = frozenset(step.value for step in ReportStep)
_ACTIVITY_NAMES = frozenset(kind.value for kind in Activity)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the reporter sent at a step: a button of this flow (action, args) or a message."""

    event: Incoming
    action: str = ""
    args: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The typed text (for typed numbers that picked a button, the number itself)."""
        return self.event.text.strip()


StepHandler = Callable[[Answer, Context, Report], Awaitable[list[Reply]]]


@router.step(*FLOW, ReportStep.other, ReportStep.edit, roles=REPORTERS)
async def in_flow(event: Incoming, ctx: Context) -> list[Reply] | None:
    """Hand the answer to its step; other features' buttons pass through."""
    answer = Answer(event)
    if event.kind is Kind.choice:
        parsed = parse_choice(event.choice)
        if parsed is None or parsed[0] != "rp" or not parsed[1]:
            return None
        if parsed[1][0] in ("go", "new", "my", "more"):
            return None
        answer = Answer(event, parsed[1][0], tuple(parsed[1][1:]))
    report = await _draft(ctx)
    if report is None:
        ctx.state.clear()
        return [
            Reply(_("This report was already sent or deleted."), choices=main_menu_choices(ctx))
        ]
    step = ReportStep(str(ctx.state.step))
    return await STEPS[step](answer, ctx, report)


def following(step: ReportStep, report: Report, *, editing: bool) -> ReportStep:
    """The step after `step`; while editing, back to the summary once the answer is complete."""
    if step is ReportStep.activity and report.activity == Activity.other.value:
        return ReportStep.other
    if editing and step not in (ReportStep.participants, ReportStep.minority):
        return ReportStep.confirm
    if step is ReportStep.other:
        return ReportStep.unit
    return FLOW[FLOW.index(step) + 1]


async def advance(ctx: Context, report: Report, step: ReportStep, ack: str = "") -> list[Reply]:
    """Store progress and ask the next question."""
    report.updated_at = ctx.now
    editing = bool(ctx.state.get("editing"))
    return await go(ctx, report, following(step, report, editing=editing), lead=ack)


async def go(ctx: Context, report: Report, step: ReportStep, lead: str = "") -> list[Reply]:
    """Wait for `step` and ask its question."""
    editing = bool(ctx.state.get("editing")) and step is not ReportStep.confirm
    ctx.state.enter(step, draft_id=report.id, editing=editing)
    report.draft_step = step.value
    reply = await prompt(ctx, report, step)
    if lead:
        reply = Reply(f"{lead}\n\n{reply.text}", choices=reply.choices)
    return [reply]


async def prompt(ctx: Context, report: Report, step: ReportStep) -> Reply:
    """The question of `step`, with its buttons."""
    if step is ReportStep.activity:
        return Reply(
            _("What kind of activity was it? Choose one:"),
            choices=tuple(
                choice("rp", "a", kind.value, label=_(ACTIVITY_LABELS[kind])) for kind in Activity
            ),
        )
    if step is ReportStep.other:
        return Reply(
            _(
                "Say in a few words what kind of activity it was (at most {limit} characters)."
            ).format(limit=OTHER_MAX)
        )
    if step is ReportStep.unit:
        return Reply(
            _("Where did it take place? Choose, or type the name of the village or commune."),
            choices=await _unit_choices(ctx, report),
        )
    if step is ReportStep.date:
        today = _today(ctx)
        return Reply(
            _(
                "When did it take place? Choose, or type the date as day/month, for example "
                "{example}."
            ).format(example=f"{today - timedelta(days=2):%d/%m}"),
            choices=(
                choice("rp", "d", 0, label=_("Today ({date})").format(date=f"{today:%d/%m}")),
                choice(
                    "rp",
                    "d",
                    1,
                    label=_("Yesterday ({date})").format(
                        date=f"{today - timedelta(days=1):%d/%m}"
                    ),
                ),
            ),
        )
    if step is ReportStep.participants:
        # No buttons on number questions: a typed "1" would pick a button instead.
        return Reply(_("How many people took part? Type a number, for example 35."))
    if step is ReportStep.minority:
        return Reply(
            _(
                'How many of them were ethnic-minority people? Type a number, or "skip" '
                "if you don't know."
            )
        )
    if step is ReportStep.women:
        return Reply(
            _('How many of them were women? Type a number, or "skip" if you don\'t know.')
        )
    if step is ReportStep.description:
        return Reply(
            _(
                "Describe the activity in a few sentences: what was done, who came, what "
                "people said. You can also send a voice message."
            )
        )
    if step is ReportStep.photos:
        return await _photos_prompt(ctx, report)
    if step is ReportStep.location:
        return Reply(
            _(
                "If you can, share the location where it took place (in Telegram: 📎 → "
                "Location). Otherwise choose Skip."
            ),
            choices=(choice("rp", "skip", label=_("Skip")),),
        )
    if step is ReportStep.edit:
        return Reply(
            _("What do you want to change?"),
            choices=(
                *(choice("rp", "f", key, label=_(label)) for key, (label, _s) in EDITABLE.items()),
                choice("rp", "back", label=_("⬅ Back to the summary")),
            ),
        )
    view = await load_view(ctx, report)
    text = summary_text(view, title=_("Your report — please check it"))
    return Reply(
        text + "\n\n" + _("Is everything right?"),
        choices=(
            choice("rp", "send", label=_("✅ Send the report")),
            choice("rp", "edit", label=_("✏️ Change something")),
            choice("rp", "del", label=_("🗑 Delete this report")),
        ),
    )


def _wrong_button() -> BadInput:
    return BadInput(_("That button belongs to another question. Please answer the last question."))


async def take_activity(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """The kind of activity: a button, or words that name exactly one kind."""
    kind: Activity | None = None
    if answer.action == "a" and answer.args and answer.args[0] in _ACTIVITY_NAMES:
        kind = Activity(answer.args[0])
    elif answer.action:
        raise _wrong_button()
    elif answer.event.kind is Kind.text:
        folded = fold(answer.text)
        matches = {
            k
            for k, words in ACTIVITY_WORDS.items()
            if any(re.search(rf"\b{re.escape(w)}\b", folded) for w in words)
        }
        if len(matches) == 1:
            kind = matches.pop()
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
        raise _wrong_button()
    text = answer.text
    if answer.event.kind is not Kind.text or len(text) < 3:
        raise BadInput(_("Please type a few words, for example: cultural exchange."))
    if len(text) > OTHER_MAX:
        raise BadInput(
            _("Please keep it short: at most {limit} characters (you wrote {length}).").format(
                limit=OTHER_MAX, length=len(text)
            )
        )
    report.activity_other = text
    return await advance(ctx, report, ReportStep.other)


async def _unit_choices(ctx: Context, report: Report) -> tuple[Choice, ...]:
    """The user's own unit and the units right under it (villages of a commune)."""
    org = ctx.services.org
    own = ctx.user.unit_id or report.unit_id
    ids = [own, *(unit.id for unit in org.children(own))]
    if report.unit_id not in ids:
        ids.insert(0, report.unit_id)
    choices = []
    for unit_id in ids:
        try:
            choices.append(choice("rp", "u", unit_id, label=await unit_name(ctx, unit_id)))
        except ValueError:  # an id too long for a button can still be typed
            continue
    return tuple(choices)


async def take_unit(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Where it happened: a button, or a typed name (old names of merged units too)."""
    scope = await unit_scope(ctx)
    note = ""
    if answer.action == "u" and answer.args:
        unit_id = answer.args[0]
    elif answer.action:
        raise _wrong_button()
    elif answer.event.kind is Kind.text:
        resolution = ctx.services.org.resolve(answer.text)
        if resolution.unit is None and resolution.candidates:
            allowed = [u for u in resolution.candidates if scope is None or u.id in scope]
            raise BadInput(
                _("“{name}” is now part of: {units}. Please choose one.").format(
                    name=escape(answer.text),
                    units=", ".join(escape(u.name) for u in allowed) or "—",
                )
            )
        if resolution.unit is None:
            raise BadInput(
                _(
                    "I don't know a place called “{name}”. Choose from the list, or "
                    "type another name."
                ).format(name=escape(answer.text[:100]))
            )
        unit_id = resolution.unit.id
        if resolution.dissolved is not None:
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
    ack = _("Place: {unit}.").format(unit=escape(await unit_name(ctx, unit_id)))
    return await advance(ctx, report, ReportStep.unit, " ".join(p for p in (note, ack) if p))


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.services.settings.tz).date()


_DATE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?$")


def parse_day(text: str, today: date, max_age_days: int) -> date:
    """A typed day ("24/11", "24/11/2026", "hôm qua"); BadInput saying what is wrong.

    Without a year it is the most recent such day: this year's, or last year's when this
    year's is still to come (a report typed on 3 January about 28 December).
    """
    folded = fold(text)
    if folded in _TODAY:
        return today
    if folded in _YESTERDAY:
        return today - timedelta(days=1)
    match = _DATE.match(folded)
    if match is None:
        raise BadInput(
            _(
                "Please type the date as day/month, for example {example}, or choose "
                "Today or Yesterday."
            ).format(example=f"{today:%d/%m}")
        )
    day, month, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
    year = today.year if year_text is None else int(year_text)
    if year < 100:
        year += 2000
    try:
        when = date(year, month, day)
    except ValueError:
        raise BadInput(
            _("There is no such date. Please type it as day/month, for example {example}.").format(
                example=f"{today:%d/%m}"
            )
        ) from None
    if year_text is None and when > today:
        try:
            earlier = date(year - 1, month, day)
        except ValueError:  # 29 February
            earlier = when
        if (today - earlier).days <= max_age_days:
            when = earlier
    if when > today:
        raise BadInput(
            _("{date} is in the future. Please type the day the activity took place.").format(
                date=format_day(when)
            )
        )
    if (today - when).days > max_age_days:
        raise BadInput(
            _(
                "{date} is more than {days} days ago: Loa takes reports of recent "
                "activities only. Please report older ones to the commune office in "
                "writing."
            ).format(date=format_day(when), days=max_age_days)
        )
    return when


async def take_date(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """The day: today, yesterday, or a typed date within the window."""
    today = _today(ctx)
    if answer.action == "d" and answer.args in (("0",), ("1",)):
        when = today - timedelta(days=int(answer.args[0]))
    elif answer.action:
        raise _wrong_button()
    elif answer.event.kind is Kind.text:
        when = parse_day(answer.text, today, ctx.services.settings.report_max_age_days)
    else:
        raise BadInput(_("Please choose Today or Yesterday, or type the date."))
    report.activity_date = when
    return await advance(
        ctx, report, ReportStep.date, _("Date: {date}.").format(date=format_day(when))
    )


_COUNT = re.compile(r"^(\d{1,3}(?:[.,\s]\d{3})+|\d+)\s*(?:nguoi|people|persons?)?$")


def parse_count(text: str) -> int | None:
    """A head count as people type it ("35", "1.200", "35 người"); None if it is not one."""
    match = _COUNT.match(fold(text))
    if match is None:
        return None
    return int(re.sub(r"[.,\s]", "", match.group(1)))


def _count(answer: Answer, most: int, what: str) -> int | None:
    """A typed count for `what`, up to `most`; None when skipped (the caller says if allowed)."""
    if answer.action:
        raise _wrong_button()
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
    if report.ethnic_minority is not None and report.ethnic_minority > count:
        report.ethnic_minority = None
    if report.women is not None and report.women > count:
        report.women = None
    return await advance(ctx, report, ReportStep.participants)


async def take_minority(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """How many were ethnic-minority people (optional)."""
    report.ethnic_minority = _count(answer, report.participants or 0, "part")
    return await advance(ctx, report, ReportStep.minority)


async def take_women(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """How many were women (optional)."""
    report.women = _count(answer, report.participants or 0, "part")
    return await advance(ctx, report, ReportStep.women)


async def take_description(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """A few sentences; a voice message is kept with the report and may stand in for them."""
    kind = answer.event.kind
    if answer.action == "cont":
        if not await ctx.repos.reports.media(report.id, MediaKind.voice):
            raise _wrong_button()
        return await advance(ctx, report, ReportStep.description)
    if answer.action:
        raise _wrong_button()
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
    text = answer.text
    if len(text) < DESCRIPTION_MIN:
        raise BadInput(
            _(
                "Please write a little more (at least {limit} characters): what was "
                "done and who came."
            ).format(limit=DESCRIPTION_MIN)
        )
    if len(text) > DESCRIPTION_MAX:
        raise BadInput(
            _("Please keep the description under {limit} characters (you wrote {length}).").format(
                limit=DESCRIPTION_MAX, length=len(text)
            )
        )
    report.description = text
    return await advance(ctx, report, ReportStep.description)


async def _photos_prompt(ctx: Context, report: Report) -> Reply:
    count = len(await ctx.repos.reports.media(report.id, MediaKind.photo))
    text = _(
        "Send 1 to {limit} photos of the activity; several at once is fine. When you have "
        'sent them all, type "done".'
    ).format(limit=MAX_PHOTOS)
    choices = [choice("rp", "done", label=_("✅ Done"))]
    if count:
        text += "\n" + _("Photos so far: {count}.").format(count=count)
        choices.append(choice("rp", "rmp", label=_("🗑 Remove the photos sent so far")))
    return Reply(text, choices=tuple(choices))


async def take_photos(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """Photos (an album at once), a voice message, "done", or removing what was sent."""
    event = answer.event
    if answer.action == "rmp":
        await ctx.repos.reports.remove_media(report.id, MediaKind.photo)
        report.updated_at = ctx.now
        reply = await _photos_prompt(ctx, report)
        return [Reply(_("The photos were removed.") + "\n\n" + reply.text, choices=reply.choices)]
    if answer.action == "done" or (event.kind is Kind.text and is_done(answer.text)):
        if not await ctx.repos.reports.media(report.id, MediaKind.photo):
            raise BadInput(_("Please send at least one photo of the activity first."))
        return await advance(ctx, report, ReportStep.photos)
    if answer.action:
        raise _wrong_button()
    if event.kind is Kind.voice:
        line, _kept = await attach_voice(ctx, report, event.media)
        return [Reply(line, choices=(await _photos_prompt(ctx, report)).choices)]
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
    reply = await _photos_prompt(ctx, report)
    if total and not added:
        lines.append(_("Photos so far: {count}.").format(count=total))
    lines.append(_('Send more, or type "done".') if total else reply.text)
    return [Reply("\n".join(lines), choices=reply.choices)]


def problem_text(problem: MediaProblem, limit_bytes: int) -> str:
    """Why a file was refused, in the user's language."""
    if problem is MediaProblem.too_large:
        return _("it is larger than {limit} MB. Please send a smaller photo.").format(
            limit=format_number(round(limit_bytes / 1024 / 1024, 1))
        )
    if problem is MediaProblem.download_failed:
        return _("it could not be received. Please send it again.")
    if problem is MediaProblem.not_image:
        return _("it is not a photo.")
    if problem is MediaProblem.unsupported:
        return _("this kind of picture file is not accepted. Please send a JPEG or PNG photo.")
    if problem is MediaProblem.too_many_pixels:
        return _("the picture has too many pixels. Please send a smaller photo.")
    return _("the file is damaged. Please send it again.")


def _media_label(ref: MediaRef, number: int, count: int) -> str:
    label = _("Photo {number}").format(number=number) if count > 1 else _("The photo")
    if ref.file_name:
        label += f" ({escape(ref.file_name[:60])})"
    return label


async def attach_photos(
    ctx: Context, report: Report, media: Sequence[MediaRef]
) -> tuple[list[str], int, int]:
    """Check and store each photo: lines to tell the user, how many were added, how many the
    report has now.

    A refused photo leaves everything else as it was; the same file twice in one report is
    kept once; a file another report already has is kept and marked as a repeat.
    """
    settings = ctx.services.settings
    store = open_store(settings)
    limits = MediaLimits.of(settings)
    existing = await ctx.repos.reports.media(report.id, MediaKind.photo)
    known = {item.sha256 for item in existing}
    total = len(existing)
    lines: list[str] = []
    added = 0
    if not media:
        media = (MediaRef("", problem=MediaProblem.download_failed.value),)
    for number, ref in enumerate(media, 1):
        label = _media_label(ref, number, len(media))
        if total >= MAX_PHOTOS:
            lines.append(
                _("{photo} was not added: a report has at most {limit} photos.").format(
                    photo=label, limit=MAX_PHOTOS
                )
            )
            continue
        try:
            stored = await take_photo(store, ref, limits)
        except MediaRejected as rejected:
            lines.append(
                _("{photo} was not added: {reason}").format(
                    photo=label, reason=problem_text(rejected.problem, limits.max_bytes)
                )
            )
            continue
        if stored.sha256 in known:
            lines.append(
                _("{photo} is already in this report; it was not added again.").format(photo=label)
            )
            continue
        repeat_of = await ctx.repos.reports.first_report_with(stored.sha256, other_than=report.id)
        await ctx.repos.reports.add_media(
            ReportMedia(
                report_id=report.id,
                kind=MediaKind.photo.value,
                sha256=stored.sha256,
                path=stored.key,
                thumb_path=stored.thumb_key,
                mime=stored.mime,
                size=stored.size,
                width=stored.width,
                height=stored.height,
                taken_at=stored.taken_at,
                gps_lat=stored.gps[0] if stored.gps else None,
                gps_lon=stored.gps[1] if stored.gps else None,
                duplicate=repeat_of is not None,
                created_at=ctx.now,
            )
        )
        known.add(stored.sha256)
        total += 1
        added += 1
        if repeat_of is not None:
            lines.append(
                _(
                    "{photo} was already sent with report #{number}. It is kept, and "
                    "marked for the officer as sent before."
                ).format(photo=label, number=repeat_of)
            )
    if added:
        lines.insert(
            0,
            _("Photos saved: {added}. This report has {total} (at most {limit}).").format(
                added=added, total=total, limit=MAX_PHOTOS
            ),
        )
    report.updated_at = ctx.now
    return lines, added, total


async def attach_voice(
    ctx: Context, report: Report, media: Sequence[MediaRef]
) -> tuple[str, bool]:
    """Keep a voice message with the report; what to tell the user, and whether it was kept."""
    settings = ctx.services.settings
    limits = MediaLimits.of(settings)
    ref = media[0] if media else MediaRef("", problem=MediaProblem.download_failed.value)
    try:
        stored = await take_voice(open_store(settings), ref, limits)
    except MediaRejected as rejected:
        reason = problem_text(rejected.problem, limits.max_bytes)
        return _("The voice message was not kept: {reason}").format(reason=reason), False
    await ctx.repos.reports.add_media(
        ReportMedia(
            report_id=report.id,
            kind=MediaKind.voice.value,
            sha256=stored.sha256,
            path=stored.key,
            mime=stored.mime,
            size=stored.size,
            created_at=ctx.now,
        )
    )
    report.updated_at = ctx.now
    return _("Voice message saved with the report."), True


async def take_location(answer: Answer, ctx: Context, report: Report) -> list[Reply]:
    """A shared location, or skip."""
    event = answer.event
    declined = event.kind is Kind.text and (is_skip(answer.text) or fold(answer.text) in _NO)
    if answer.action == "skip" or declined:
        return await advance(ctx, report, ReportStep.location)
    if answer.action:
        raise _wrong_button()
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
        await ctx.repos.reports.discard(report)
        ctx.state.clear()
        return [
            Reply(_("The report was deleted. Nothing was sent."), choices=main_menu_choices(ctx))
        ]
    if answer.action != "send":
        if answer.action:
            raise _wrong_button()
        raise BadInput(_("Please choose: send the report, change something, or delete it."))
    missing = await _first_missing(ctx, report)
    if missing is not None:
        return await go(ctx, report, missing, lead=_("One answer is still missing."))
    event = await ctx.repos.reports.change_status(
        report, ReportStatus.submitted, actor_id=ctx.user.id, now=ctx.now
    )
    await notify_reviewers(ctx, report, event)
    ctx.state.clear()
    text = _(
        "Thank you! Report #{number} is sent. The officers of {unit} will review it, and "
        "you will get a message when they decide. /myreports shows your reports."
    ).format(number=report.id, unit=escape(await unit_name(ctx, report.unit_id)))
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
    if not await ctx.repos.reports.media(report.id, MediaKind.photo):
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
        raise _wrong_button()
    raise BadInput(_("Please choose what to change (you can type its number)."))


STEPS: dict[ReportStep, StepHandler] = {
    ReportStep.activity: take_activity,
    ReportStep.other: take_other,
    ReportStep.unit: take_unit,
    ReportStep.date: take_date,
    ReportStep.participants: take_participants,
    ReportStep.minority: take_minority,
    ReportStep.women: take_women,
    ReportStep.description: take_description,
    ReportStep.photos: take_photos,
    ReportStep.location: take_location,
    ReportStep.confirm: take_confirm,
    ReportStep.edit: take_edit,
}


# --- my reports -------------------------------------------------------------------------------


@router.command("myreports", "baocaocuatoi", roles=REPORTERS, help=N_("your recent reports"))
@router.choice("myreports", roles=REPORTERS)
async def my_reports(event: Incoming, ctx: Context) -> Reply:
    """The reporter's recent reports and where each one is."""
    ctx.state.clear()
    reports = await ctx.repos.reports.for_reporter(ctx.user.id, limit=RECENT)
    if not reports:
        return Reply(
            _('You have not sent any report yet. Choose "Send a report" to send one.'),
            choices=main_menu_choices(ctx),
        )
    lines = [_("**Your recent reports**")]
    choices = []
    for report in reports:
        when = format_day(report.activity_date) if report.activity_date else "—"
        lines.append(
            _("#{number} · {date} · {activity} · {status}").format(
                number=report.id,
                date=when,
                activity=activity_label(report.activity, report.activity_other),
                status=status_label(report.status),
            )
        )
        if report.status == ReportStatus.draft.value:
            choices.append(
                choice(
                    "rp",
                    "go",
                    report.id,
                    label=_("▶ Continue report #{number}").format(number=report.id),
                )
            )
        else:
            choices.append(
                choice(
                    "rp",
                    "my",
                    report.id,
                    label=_("Open report #{number}").format(number=report.id),
                )
            )
    choices.append(choice("menu", label=_("🏠 Main menu")))
    return Reply("\n".join(lines), choices=tuple(choices))


async def open_my_report(ctx: Context, report_id: int) -> list[Reply]:
    """One of the reporter's own reports, with its history; nobody else's."""
    report = await ctx.repos.reports.get(report_id)
    if report is None or report.reporter_id != ctx.user.id:
        raise BadInput(_("Report #{number} is not one of your reports.").format(number=report_id))
    ctx.state.clear()
    view = await load_view(ctx, report)
    choices = []
    if report.status == ReportStatus.needs_info.value:
        choices.append(choice("rp", "more", report.id, label=_("✍ Answer the officer")))
    choices.append(choice("myreports", label=_("⬅ My reports")))
    choices.append(choice("menu", label=_("🏠 Main menu")))
    title = _("Report #{number}").format(number=report.id)
    return [Reply(summary_text(view, title=title), choices=tuple(choices))]


# --- answering an officer's question ----------------------------------------------------------


def last_question(events: Sequence[EventView]) -> str:
    """What the officer asked last."""
    for event in reversed(events):
        if event.to_status == ReportStatus.needs_info.value:
            return event.note
    return ""


async def start_answer(ctx: Context, report_id: int) -> list[Reply]:
    """Show the officer's question and wait for the answer (text, photos first if needed)."""
    report = await ctx.repos.reports.get(report_id)
    if report is None or report.reporter_id != ctx.user.id:
        raise BadInput(_("Report #{number} is not one of your reports.").format(number=report_id))
    if report.status != ReportStatus.needs_info.value:
        ctx.state.clear()
        return [
            Reply(
                _("Report #{number} is {status}: nothing to answer now.").format(
                    number=report.id, status=status_label(report.status)
                ),
                choices=main_menu_choices(ctx),
            )
        ]
    view = await load_view(ctx, report)
    ctx.state.enter(ReportStep.more, report_id=report.id, added=0)
    # No buttons here: a typed number is an answer ("12 women"), not a choice.
    return [
        Reply(
            _(
                "The officer asked about report #{number}: “{question}”\n\nType your answer. "
                "To add photos, send them first: your text sends the answer. Or send photos "
                'and type "done".'
            ).format(number=report.id, question=escape(last_question(view.events)))
        )
    ]


@router.step(ReportStep.more, roles=REPORTERS)
async def take_more(event: Incoming, ctx: Context) -> list[Reply] | None:
    """Photos are added at once; the text (or "done" after photos) sends the report back."""
    if event.kind is Kind.choice:
        return None
    report = await ctx.repos.reports.get(int(ctx.state.get("report_id", 0)), lock=True)
    if (
        report is None
        or report.reporter_id != ctx.user.id
        or report.status != ReportStatus.needs_info.value
    ):
        ctx.state.clear()
        return [Reply(_("There is nothing to answer any more."), choices=main_menu_choices(ctx))]
    if event.kind in (Kind.photo, Kind.document):
        lines, added, _total = await attach_photos(ctx, report, event.media)
        ctx.state.update(added=int(ctx.state.get("added", 0)) + added)
        lines.append(_('Type your answer, or "done" to send the photos.'))
        return [Reply("\n".join(lines))]
    if event.kind is Kind.voice:
        line, kept = await attach_voice(ctx, report, event.media)
        ctx.state.update(added=int(ctx.state.get("added", 0)) + int(kept))
        return [Reply(line + "\n" + _('Type your answer, or "done" to send it.'))]
    if event.kind is not Kind.text:
        raise BadInput(_("Please type your answer, or send photos."))
    note = event.text.strip()
    if is_done(note):
        if not ctx.state.get("added"):
            raise BadInput(
                _("Please type your answer first, or send the photos the officer asked for.")
            )
        note = ""
    if len(note) > DESCRIPTION_MAX:
        raise BadInput(
            _("Please keep the answer under {limit} characters (you wrote {length}).").format(
                limit=DESCRIPTION_MAX, length=len(note)
            )
        )
    change = await ctx.repos.reports.change_status(
        report, ReportStatus.submitted, actor_id=ctx.user.id, now=ctx.now, note=note
    )
    await notify_reviewers(ctx, report, change)
    ctx.state.clear()
    return [
        Reply(
            _(
                "Thank you! Your answer was sent with report #{number}; the officers will "
                "review it again."
            ).format(number=report.id),
            choices=main_menu_choices(ctx),
        )
    ]
