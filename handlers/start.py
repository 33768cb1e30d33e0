"""First contact and the way home: /start, language, main menu, help."""

from __future__ import annotations

from bot.core import i18n
from bot.core.chat import Choice, Incoming, Reply, choice, escape
from bot.core.i18n import N_, _
from bot.engine import BadInput, Context, Router
from bot.translations.workflow import Coverage
from db.models import Role, UnitKind

router = Router("start")

# The main menu. Content pages the plan and the programme need most come first; features of
# later stages add their own lines (with roles) through `router.menu` in their modules.
router.menu(10, N_("The programme and its 10 projects"), "t", "chuong-trinh-1719")
router.menu(20, N_("The district's communication plan"), "t", "ke-hoach")
router.menu(30, N_("Ask a question"), "ask")
router.menu(40, N_("New communes since 2025"), "t", "sap-xep-hanh-chinh-2025")
router.menu(50, N_("Send a question to an officer"), "question")
router.menu(60, N_("Contacts"), "t", "lien-he")
router.menu(90, N_("Change language"), "lang")


def offered_languages(ctx: Context) -> tuple[str, ...]:
    """Codes of the languages in the menu: the default, and those translated enough."""
    settings = ctx.services.settings
    minimum = settings.language_min_coverage
    offered = []
    for lang in ctx.services.catalogs.languages:
        cover = ctx.services.coverage.get(lang.code)
        share = 100 * cover.ui_translated / cover.ui_total if cover and cover.ui_total else 0
        if lang.code == settings.default_language or share >= minimum:
            offered.append(lang.code)
    return tuple(offered)


def language_choices(ctx: Context) -> tuple[Choice, ...]:
    """One choice per offered language, labelled in Vietnamese (and natively if verified)."""
    offered = offered_languages(ctx)
    return tuple(
        choice("lang", lang.code, label=lang.label)
        for lang in ctx.services.catalogs.languages
        if lang.code in offered
    )


def ask_to_type(ctx: Context, step: str, request: str) -> Reply:
    """Wait for `step` and ask the user to type its answer; the main menu stays one press away."""
    ctx.state.enter(step)
    return Reply(request, choices=(choice("menu", label=_("🏠 Main menu")),))


def main_menu_choices(ctx: Context) -> tuple[Choice, ...]:
    """The main menu lines this user may see."""
    entries = sorted(ctx.services.menu, key=lambda entry: entry.position)
    return tuple(
        choice(entry.route, *entry.args, label=_(entry.label))
        for entry in entries
        if entry.visible_to(ctx.role)
    )


@router.main_menu
async def show_menu(event: Incoming, ctx: Context) -> Reply:
    """Show the main menu."""
    ctx.state.clear()
    return Reply(_("**Main menu.** Choose a number:"), choices=main_menu_choices(ctx))


@router.command("start")
async def start(event: Incoming, ctx: Context) -> Reply:
    """Greet and ask for the language every time: phones are often shared in a village."""
    ctx.state.clear()
    again = ""
    if ctx.user.opted_out:
        # /start is how someone who sent /stop gets announcements and polls again.
        ctx.user.opted_out = False
        again = _("Announcements and polls are on again.") + "\n\n"
    text = again + (
        _(
            "Hello! I am **Loa**, the loudspeaker of the commune in your phone. I explain the "
            "programme for ethnic-minority and mountainous areas and the district's plan, and "
            "I answer your questions."
        )
        + "\n\n"
        + _("Choose your language:")
    )
    return Reply(text, choices=language_choices(ctx))


@router.command("menu", help=N_("main menu"))
async def menu_command(event: Incoming, ctx: Context) -> Reply:
    """Go to the main menu."""
    return await show_menu(event, ctx)


@router.command("language", "ngonngu", help=N_("change language"))
@router.choice("lang")
async def choose_language(event: Incoming, ctx: Context) -> Reply:
    """Show the languages, or switch to the one picked."""
    parts = event.choice.split(":")
    code = parts[2] if len(parts) > 2 else ""
    if code not in offered_languages(ctx):
        ctx.state.clear()
        return Reply(_("Choose your language:"), choices=language_choices(ctx))
    ctx.user.language = code
    ctx.state.clear()
    if ctx.user.privacy_notice_at is None:
        # First contact: what Loa keeps, in the language just chosen; then, once, the commune.
        ctx.user.privacy_notice_at = ctx.now
        return first_welcome(ctx, code)
    return welcome(ctx, code)


def welcome(ctx: Context, code: str) -> Reply:
    """The first screen in a newly chosen language, saying where Vietnamese fills gaps."""
    with i18n.use(ctx.services.catalogs, code):
        lines = _chosen(ctx, code)
        lines.append(_("**Main menu.** Choose a number:"))
        return Reply("\n\n".join(lines), choices=main_menu_choices(ctx))


def _chosen(ctx: Context, code: str) -> list[str]:
    language = ctx.services.catalogs.language(code)
    lines = [_("You chose {language}.").format(language=language.label)]
    cover = ctx.services.coverage.get(code)
    if code != ctx.services.settings.default_language and cover is not None:
        lines.append(coverage_note(cover))
    return lines


def privacy_notice() -> str:
    """What Loa keeps, who sees it, and how to get a copy or have it deleted (short)."""
    return _(
        "**Your data.** Loa keeps your chat name, your language, your commune, and what you "
        "send: questions, photos and voice messages. Officers of your commune and Loa's "
        "administrators read the questions you send to officers (without your name if you "
        "ask so). Send /mydata to get a copy of everything Loa keeps about you, and "
        "/forgetme to have it deleted."
    )


def first_welcome(ctx: Context, code: str) -> Reply:
    """The language confirmed, the privacy notice, and the commune question (skippable)."""
    with i18n.use(ctx.services.catalogs, code):
        lines = [*_chosen(ctx, code), privacy_notice()]
        if ctx.role is Role.villager and commune_choices(ctx):
            lines.append(commune_question())
            return Reply("\n\n".join(lines), choices=commune_choices(ctx))
        lines.append(_("**Main menu.** Choose a number:"))
        return Reply("\n\n".join(lines), choices=main_menu_choices(ctx))


# --- the villager's commune -------------------------------------------------------------------


def commune_question() -> str:
    """Why Loa asks for the commune."""
    return _(
        "Which commune do you live in? Your questions then go to its officers. You can "
        "skip this and choose later with /commune."
    )


def commune_choices(ctx: Context) -> tuple[Choice, ...]:
    """The communes of the org file, then "skip"; empty when the org file has none."""
    communes = [unit for unit in ctx.services.org.units if unit.kind is UnitKind.commune]
    if not communes:
        return ()
    return (
        *(choice("commune", unit.id, label=unit.name) for unit in communes),
        choice("commune", "-", label=_("Skip")),
    )


@router.command("commune", "xa", roles=[Role.villager], help=N_("choose your commune"))
@router.choice("commune", roles=[Role.villager])
async def choose_commune(event: Incoming, ctx: Context) -> Reply:
    """Show the communes, or keep the one picked (in users.unit_id); "skip" changes nothing."""
    ctx.state.clear()
    parts = event.choice.split(":")
    picked = parts[2] if len(parts) > 2 else ""
    choices = commune_choices(ctx)
    if not choices:
        raise BadInput(_("Loa has no list of communes yet."))
    if not picked:
        current = ctx.user.unit_id
        lines = []
        if current is not None and (unit := ctx.services.org.get(current)) is not None:
            lines.append(_("Your commune now: {unit}.").format(unit=escape(unit.name)))
        lines.append(commune_question())
        return Reply("\n\n".join(lines), choices=choices)
    menu = _("**Main menu.** Choose a number:")
    if picked == "-":
        return Reply(
            _("No commune chosen. You can choose it later with /commune.") + "\n\n" + menu,
            choices=main_menu_choices(ctx),
        )
    unit = ctx.services.org.get(picked)
    if unit is None or unit.kind is not UnitKind.commune:
        raise BadInput(_("Sorry, that commune is not on the list any more. Send /commune."))
    ctx.user.unit_id = unit.id
    return Reply(
        _("Saved: you live in {unit}. Your questions go to its officers.").format(
            unit=escape(unit.name)
        )
        + "\n\n"
        + menu,
        choices=main_menu_choices(ctx),
    )


def coverage_note(cover: Coverage) -> str:
    """The truth about how much of Loa a language has, said when it is chosen."""
    if cover.ui_translated == 0 and cover.topics_translated == 0 and cover.topics_partial == 0:
        return _(
            "Loa is not translated into this language yet: 0 of {topics} topics and 0 of "
            "{strings} messages. Everything is shown in Vietnamese until the translators' work "
            "arrives."
        ).format(topics=cover.topics_total, strings=cover.ui_total)
    if cover.ui_translated >= cover.ui_total and cover.topics_translated >= cover.topics_total:
        return _("Loa is fully translated into this language.")
    return _(
        "Loa is partly translated into this language: {topics} of {topics_total} topics and "
        "{strings} of {strings_total} messages. The rest is shown in Vietnamese."
    ).format(
        topics=cover.topics_translated,
        topics_total=cover.topics_total,
        strings=cover.ui_translated,
        strings_total=cover.ui_total,
    )


@router.command("help", "trogiup", help=N_("this help"))
async def show_help(event: Incoming, ctx: Context) -> Reply:
    """List the commands this user may use, each with what it does."""
    lines = [
        _("**What you can do**"),
        _(
            "Pick a number from a menu, or type a question in your own words, with or without "
            "accents."
        ),
        _("/cancel — stop what you are doing and go back to the menu"),
    ]
    lines.extend(
        f"/{entry.name} — {_(entry.description)}"
        for entry in ctx.services.commands
        if entry.visible_to(ctx.role)
    )
    return Reply("\n".join(lines), choices=main_menu_choices(ctx))
