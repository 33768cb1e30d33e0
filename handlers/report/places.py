"""Villages officers add: from a report whose place was typed, or with /addvillage."""

from __future__ import annotations

from bot.core.chat import Incoming, Reply, escape, parse_choice
from bot.core.i18n import N_, _
from bot.engine import BadInput, Context, check_length
from db.models import Unit, UnitKind
from handlers.admin import unit_name
from handlers.report.flow import PLACE_MAX, router
from handlers.report.notices import OFFICERS, can_review, unit_scope
from handlers.start import main_menu_choices


async def add_place(ctx: Context, parent: Unit, name: str) -> str:
    """Add a village under `parent` if the user may; what to tell them."""
    scope = await unit_scope(ctx)
    if scope is not None and parent.id not in scope:
        raise BadInput(
            _("{unit} is not one of the places you look after.").format(unit=escape(parent.name))
        )
    if not ctx.repos.units.holds_villages(parent):
        raise BadInput(
            _(
                "Villages are added to a commune, and {unit} is not one. Send the commune "
                "with the name, for example: /addvillage Ia Tơi: Thôn 5"
            ).format(unit=escape(parent.name))
        )
    village, added = await ctx.repos.units.add_village(parent, name)
    if not added:
        return _("“{name}” is already a place of {unit}.").format(
            name=escape(village.name), unit=escape(parent.name)
        )
    return _("“{name}” is now a place of {unit}: reporters can choose it from now on.").format(
        name=escape(village.name), unit=escape(parent.name)
    )


@router.command(
    "addvillage", "themthon", roles=OFFICERS, help=N_("add a village to your commune's places")
)
async def add_village(event: Incoming, ctx: Context) -> Reply:
    """/addvillage NAME (under the officer's commune) or /addvillage COMMUNE: NAME."""
    ctx.state.clear()
    text = " ".join(event.args.split()) if event.args else ""
    commune, _sep, name = text.rpartition(":")
    if not text.strip(" :"):
        raise BadInput(
            _(
                "Send the village's name after the command, for example: /addvillage Thôn 5 "
                "(or, for another commune: /addvillage Ia Tơi: Thôn 5)."
            )
        )
    name = check_length(
        name.strip(),
        PLACE_MAX,
        _("Please keep the name of the place under {limit} characters (you wrote {length})."),
        least=2,
        too_short=_("Please type the name of the village or commune."),
    )
    if commune.strip():
        found = ctx.services.org.resolve(commune.strip()).unit
        parent = await ctx.repos.units.get(found.id) if found else None
        if parent is None:
            raise BadInput(
                _("I don't know a commune called “{name}”.").format(name=escape(commune.strip()))
            )
    else:
        parent = await ctx.repos.units.get(ctx.user.unit_id) if ctx.user.unit_id else None
        if parent is None:
            raise BadInput(
                _("Please send the commune with the name, for example: /addvillage Ia Tơi: Thôn 5")
            )
    return Reply(await add_place(ctx, parent, name), choices=main_menu_choices(ctx))


@router.choice("pl", roles=OFFICERS)
async def confirm_place(event: Incoming, ctx: Context) -> Reply:
    """An officer confirms a place typed in a report: it becomes a village, the report's."""
    parsed = parse_choice(event.choice)
    args = parsed[1] if parsed else []
    report = None
    if len(args) == 2 and args[0] == "add" and args[1].isdigit():
        report = await ctx.repos.reports.get(int(args[1]), lock=True)
    if report is None or not await can_review(ctx, report):
        raise BadInput(_("Sorry, that button is out of date. Send /pending to see the list."))
    if not report.place_text:
        raise BadInput(
            _("The place of report #{number} is already confirmed: {unit}.").format(
                number=report.id, unit=escape(await unit_name(ctx, report.unit_id))
            )
        )
    parent = await ctx.repos.units.get(report.unit_id)
    # A village head's report keeps a typed place under their village: add it to the commune.
    while parent is not None and parent.kind == UnitKind.village.value and parent.parent_id:
        parent = await ctx.repos.units.get(parent.parent_id)
    if parent is None:  # pragma: no cover  (reports point at existing units)
        raise BadInput(_("Sorry, that button is out of date. Send /pending to see the list."))
    said = await add_place(ctx, parent, report.place_text)
    village, _added = await ctx.repos.units.add_village(parent, report.place_text)
    report.unit_id, report.place_text = village.id, ""
    return Reply(
        said + " " + _("Report #{number} is filed under it.").format(number=report.id),
        choices=main_menu_choices(ctx),
    )
