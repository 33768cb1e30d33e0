"""Composing a broadcast: whom it is for (everyone, a commune, a language, a role) and the
translations the author adds."""

from __future__ import annotations

from bot.broadcasts.service import Audience, BroadcastError
from bot.core.chat import Choice, Incoming, Reply, choice
from bot.core.i18n import _
from bot.engine import Context
from db.models import Role, UnitKind
from handlers.admin import ROLE_LABELS
from handlers.broadcast.common import (
    AUTHORS,
    BroadcastStep,
    args_of,
    author_scope,
    router,
    stale,
    typed_text,
)


def _communes(ctx: Context) -> list[tuple[str, str]]:
    """(id, name) of the communes this author may address."""
    from bot.broadcasts.service import subtree

    org = ctx.services.org
    scope = author_scope(ctx)
    allowed = subtree(org, scope) if scope is not None else None
    return [
        (unit.id, unit.name)
        for unit in org.units
        if unit.kind is UnitKind.commune and (allowed is None or unit.id in allowed)
    ]


async def ask_audience(ctx: Context) -> Reply:
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
    text = typed_text(event)
    texts = dict(ctx.state.get("texts", {}))
    texts[str(ctx.state["lang"])] = text
    data = {k: v for k, v in ctx.state.data.items() if k != "lang"}
    ctx.state.enter(BroadcastStep.languages, **{**data, "texts": texts})
    return _ask_translations(ctx)
