"""What people read about a report: labels, the summary, photo captions, the officer's view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum
from pathlib import Path

from bot.core.chat import Attachment, AttachmentKind, Choice, Reply, choice, escape
from bot.core.i18n import N_, _, format_day, format_number
from bot.engine import Context
from bot.reports.freshness import review_round
from bot.reports.media import MediaProblem, open_store
from db.models import MediaKind, Report, ReportStatus, Role
from handlers.admin import describe_user, role_label, unit_name


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


# Dự án 8 topics an activity may be about; REPORT_THEMES chooses which are offered, in order.
THEME_LABELS = {
    "child_marriage": N_("Child marriage"),
    "cousin_marriage": N_("Marriage between close relatives"),
    "domestic_violence": N_("Domestic violence"),
    "gender_equality": N_("Gender equality"),
    "trafficking": N_("Human trafficking"),
    "child_protection": N_("Child protection and care"),
    "women_health": N_("Health of mothers and children"),
}


STATUS_LABELS = {
    ReportStatus.draft: N_("not sent yet"),
    ReportStatus.submitted: N_("waiting for review"),
    ReportStatus.approved: N_("approved"),
    ReportStatus.rejected: N_("rejected"),
    ReportStatus.needs_info: N_("more information asked"),
}


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
    themes: tuple[str, ...]
    young: int | None
    children: int | None
    place_text: str
    description: str
    location: tuple[float, float] | None
    reporter: str
    reporter_role: str
    reporter_unit: str
    photos: tuple[PhotoView, ...]
    voices: tuple[Path, ...]
    events: tuple[EventView, ...]
    tz: tzinfo

    @property
    def review_round(self) -> int:
        """How many times the report was sent for review (a reporter's answer starts a round)."""
        return review_round(event.to_status for event in self.events)


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
        themes=tuple(report.themes or ()),
        young=report.young_people,
        children=report.children,
        place_text=report.place_text,
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


def theme_label(theme: str) -> str:
    """A Dự án 8 topic in the current language (an operator's own topic as written)."""
    known = THEME_LABELS.get(theme)
    return _(known) if known else escape(theme)


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
    if view.place_text:
        lines.append(
            _("Place: {place} (as typed: not on the list of {unit})").format(
                place=escape(view.place_text), unit=escape(view.unit)
            )
        )
    else:
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
    if view.young is not None:
        extra.append(_("young people: {count}").format(count=format_number(view.young)))
    if view.children is not None:
        extra.append(_("children: {count}").format(count=format_number(view.children)))
    if extra:
        people = f"{people} ({'; '.join(extra)})"
    if view.themes:
        lines.append(
            _("Topics (Dự án 8): {themes}").format(
                themes=", ".join(theme_label(theme) for theme in view.themes)
            )
        )
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


def review_choices(report_id: int, round_: int) -> tuple[Choice, ...]:
    """What an officer can decide (handled in handlers/review.py); each button names the review
    round it was shown in, so it cannot decide on an answer the officer has not seen."""
    return (
        choice("rv", "ok", report_id, round_, label=_("✅ Approve")),
        choice("rv", "no", report_id, round_, label=_("❌ Reject")),
        choice("rv", "ask", report_id, round_, label=_("❓ Ask for more information")),
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
    choices = review_choices(view.id, view.review_round) if decidable else ()
    if view.place_text:
        label = _("➕ Add “{place}” to the list of places").format(place=view.place_text[:40])
        choices = (*choices, choice("pl", "add", view.id, label=label))
    replies.append(Reply(text, choices=choices))
    return replies


def voice_problem_text(problem: MediaProblem, limit_bytes: int) -> str:
    """Why a voice message was refused, in the user's language (not in a photo's words)."""
    if problem is MediaProblem.download_failed:
        return _("it did not arrive. Please send it again.")
    if problem is not MediaProblem.too_large:
        return _(
            "it is not a voice recording Loa can keep. Please record a voice message in the "
            "chat app."
        )
    size = format_number(round(limit_bytes / 1024 / 1024, 1))
    return _("it is larger than {limit} MB. Please send a shorter voice message.").format(
        limit=size
    )


# Why a photo was refused, by problem ({limit}: the size limit in MB); anything else: damaged.
_PHOTO_PROBLEMS = {
    MediaProblem.too_large: N_("it is larger than {limit} MB. Please send a smaller photo."),
    MediaProblem.download_failed: N_("it could not be received. Please send it again."),
    MediaProblem.no_space: N_(
        "it could not be stored just now because of a problem on our side. Please send it "
        "again in a few minutes."
    ),
    MediaProblem.not_image: N_("it is not a photo."),
    MediaProblem.unsupported: N_(
        "this kind of picture file is not accepted. Please send a JPEG or PNG photo."
    ),
    MediaProblem.too_many_pixels: N_(
        "the picture has too many pixels. Please send a smaller photo."
    ),
}


def problem_text(problem: MediaProblem, limit_bytes: int) -> str:
    """Why a file was refused, in the user's language."""
    text = _PHOTO_PROBLEMS.get(problem, N_("the file is damaged. Please send it again."))
    return _(text).format(limit=format_number(round(limit_bytes / 1024 / 1024, 1)))
