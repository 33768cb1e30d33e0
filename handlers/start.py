"""First contact and the way home: /start, language, main menu, help."""

from __future__ import annotations

from bot.core import i18n
from bot.core.chat import Choice, Incoming, Reply, choice
from bot.core.i18n import N_, _
from bot.engine import Context, Router

router = Router("start")

# The main menu. Content pages the plan and the programme need most come first; features of
# later stages add their own lines (with roles) through `router.menu` in their modules.
router.menu(10, N_("The programme and its 10 projects"), "t", "chuong-trinh-1719")
router.menu(20, N_("The district's communication plan"), "t", "ke-hoach")
router.menu(30, N_("Ask a question"), "ask")
router.menu(40, N_("New communes since 2025"), "t", "sap-xep-hanh-chinh-2025")
router.menu(50, N_("Send a question or feedback"), "t", "gui-phan-anh")
router.menu(60, N_("Contacts"), "t", "lien-he")
router.menu(70, N_("Your data in Loa"), "t", "bao-ve-du-lieu")
router.menu(90, N_("Change language"), "lang")


def language_choices(ctx: Context) -> tuple[Choice, ...]:
    """One choice per configured language, labelled in Vietnamese (and natively if verified)."""
    return tuple(
        choice("lang", lang.code, label=lang.label) for lang in ctx.services.catalogs.languages
    )


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
    codes = {lang.code for lang in ctx.services.catalogs.languages}
    if code not in codes:
        ctx.state.clear()
        return Reply(_("Choose your language:"), choices=language_choices(ctx))
    ctx.user.language = code
    ctx.state.clear()
    return welcome(ctx, code)


def welcome(ctx: Context, code: str) -> Reply:
    """The first screen in a newly chosen language, saying where Vietnamese fills gaps."""
    with i18n.use(ctx.services.catalogs, code):
        language = ctx.services.catalogs.language(code)
        lines = [_("You chose {language}.").format(language=language.label)]
        translated, total = ctx.services.catalogs.coverage(code)
        if code != ctx.services.settings.default_language and translated < total:
            lines.append(
                _(
                    "Some parts are not translated into this language yet; they are "
                    "shown in Vietnamese."
                )
            )
        lines.append(_("**Main menu.** Choose a number:"))
        return Reply("\n\n".join(lines), choices=main_menu_choices(ctx))


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
