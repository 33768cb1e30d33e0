"""The report flow's frame: its steps, the answer at a step, moving on, and each question."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.core.chat import Choice, Incoming, Reply, choice
from bot.core.i18n import N_, _
from bot.engine import BadInput, Context, Router
from db.models import MediaKind, Report, ReportStatus, Role
from handlers.admin import unit_name
from handlers.report.views import ACTIVITY_LABELS, Activity, load_view, summary_text, theme_label

router = Router("report")

REPORTERS = (Role.reporter, Role.officer, Role.admin)


MAX_PHOTOS = 10
MAX_PEOPLE = 100_000
DESCRIPTION_MIN = 10  # characters: "họp thôn" alone says too little
DESCRIPTION_MAX = 1000
OTHER_MAX = 100
PLACE_MAX = 100


class ReportStep(StrEnum):
    """Steps of the report flow, in order."""

    activity = "report.activity"
    other = "report.other"
    unit = "report.unit"
    date = "report.date"
    themes = "report.themes"
    participants = "report.participants"
    minority = "report.minority"
    women = "report.women"
    young = "report.young"
    children = "report.children"
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
    ReportStep.themes,
    ReportStep.participants,
    ReportStep.minority,
    ReportStep.women,
    ReportStep.young,
    ReportStep.children,
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
    "themes": (N_("Topics (Dự án 8)"), ReportStep.themes),
    "people": (N_("Number of people"), ReportStep.participants),
    "text": (N_("Description"), ReportStep.description),
    "photos": (N_("Photos"), ReportStep.photos),
    "location": (N_("Location"), ReportStep.location),
}


async def current_draft(ctx: Context) -> Report | None:
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


STEP_NAMES = frozenset(step.value for step in ReportStep)


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


def path(report: Report) -> list[ReportStep]:
    """The questions this report asks, in order: "other" only for another kind of activity,
    the age groups only for an activity about a Dự án 8 topic."""
    steps = list(FLOW)
    if report.activity == Activity.other.value:
        steps.insert(1, ReportStep.other)
    if not report.themes:
        steps.remove(ReportStep.young)
        steps.remove(ReportStep.children)
    return steps


# While editing, an answer that others depend on asks those again before the summary.
_EDIT_CHAIN = frozenset(
    {
        ReportStep.participants,
        ReportStep.minority,
        ReportStep.women,
        ReportStep.young,
        ReportStep.children,
    }
)


def following(step: ReportStep, report: Report, *, editing: bool) -> ReportStep:
    """The step after `step`; while editing, back to the summary once the answer is complete."""
    steps = path(report)
    after = steps[steps.index(step) + 1] if step in steps else ReportStep.confirm
    if step is ReportStep.activity and after is ReportStep.other:
        return after
    if not editing:
        return after
    if step is ReportStep.themes:
        return ReportStep.young if ReportStep.young in steps else ReportStep.confirm
    return after if step in _EDIT_CHAIN and after in _EDIT_CHAIN else ReportStep.confirm


def previous(step: ReportStep, report: Report) -> ReportStep | None:
    """The question before `step` (None at the first); from the change menu, the summary."""
    if step is ReportStep.edit:
        return ReportStep.confirm
    steps = path(report)
    if step not in steps or steps.index(step) == 0:
        return None
    return steps[steps.index(step) - 1]


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
        today = local_today(ctx)
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
    if step is ReportStep.themes:
        return themes_prompt(ctx, report)
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
    if step is ReportStep.young:
        return Reply(
            _(
                "How many of them were young people (16 to 30 years old)? Type a number, or "
                '"skip" if you don\'t know.'
            )
        )
    if step is ReportStep.children:
        return Reply(
            _(
                'How many of them were children (under 16)? Type a number, or "skip" if you '
                "don't know."
            )
        )
    if step is ReportStep.description:
        return Reply(
            _(
                "Describe the activity in a few sentences: what was done, who came, what "
                "people said. You can also send a voice message."
            )
        )
    if step is ReportStep.photos:
        return await photos_prompt(ctx, report)
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


def wrong_button() -> BadInput:
    """The refusal of a button that belongs to another question."""
    return BadInput(_("That button belongs to another question. Please answer the last question."))


async def _unit_choices(ctx: Context, report: Report) -> tuple[Choice, ...]:
    """The user's own unit and the units right under it (villages of a commune)."""
    own = ctx.user.unit_id or report.unit_id
    # From the database, not the org file: villages officers added are places too.
    ids = [own, *(unit.id for unit in await ctx.repos.units.children(own))]
    if report.unit_id not in ids:
        ids.insert(0, report.unit_id)
    choices = []
    for unit_id in ids:
        try:
            choices.append(choice("rp", "u", unit_id, label=await unit_name(ctx, unit_id)))
        except ValueError:  # an id too long for a button can still be typed
            continue
    return tuple(choices)


def local_today(ctx: Context) -> date:
    """Today where the district is."""
    return ctx.now.astimezone(ctx.services.settings.tz).date()


def photos_required(ctx: Context, report: Report) -> bool:
    """Whether this kind of activity needs a photo (PHOTO_OPTIONAL_ACTIVITIES: those that
    often have none, such as a loudspeaker broadcast or a home visit)."""
    return report.activity not in ctx.services.settings.photo_optional_activities


async def photos_prompt(ctx: Context, report: Report) -> Reply:
    """Ask for photos, saying how many the draft has."""
    count = len(await ctx.repos.reports.media(report.id, MediaKind.photo))
    if photos_required(ctx, report):
        text = _(
            "Send 1 to {limit} photos of the activity; several at once is fine. When you have "
            'sent them all, type "done".'
        ).format(limit=MAX_PHOTOS)
    else:
        text = _(
            "If you have photos of the activity, send them (at most {limit}; several at once "
            'is fine). Photos are not needed for this kind of activity: type "done" to go on '
            "without them, or when you have sent them all."
        ).format(limit=MAX_PHOTOS)
    choices = [choice("rp", "done", label=_("✅ Done"))]
    if count:
        text += "\n" + _("Photos so far: {count}.").format(count=count)
        choices.append(choice("rp", "rmp", label=_("🗑 Remove a photo")))
    return Reply(text, choices=tuple(choices))


def themes_prompt(ctx: Context, report: Report) -> Reply:
    """Ask which Dự án 8 topics the activity was about; chosen ones are ticked."""
    chosen = set(report.themes or [])
    choices = [
        choice("rp", "t", n, label=("☑ " if theme in chosen else "☐ ") + theme_label(theme))
        for n, theme in enumerate(ctx.services.settings.report_themes)
    ]
    choices.append(choice("rp", "tdone", label=_("✅ Done")))
    text = _(
        "Was the activity about any of these topics (Dự án 8: gender equality, women and "
        "children)? Choose each one that fits, then Done. If none fits, just choose Done."
    )
    if chosen:
        text += "\n" + _("Chosen: {themes}.").format(
            themes=", ".join(theme_label(t) for t in report.themes)
        )
    return Reply(text, choices=tuple(choices))
