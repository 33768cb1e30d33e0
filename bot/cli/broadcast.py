"""Broadcasts and polls from the shell: `loa broadcast create|status`, `loa polls create|results`.

A broadcast made here has no author in chat: nobody is sent the final figures, which
`loa broadcast status ID` shows at any time. Translations come as `--text-<code> TEXT` (typer
cannot declare options per language, so they are read from the extra arguments and checked
against LANGUAGES).
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.broadcasts.results import poll_results
from bot.broadcasts.service import Audience, BroadcastError, Draft, create, figures
from bot.cli.common import (
    JsonOption,
    OperatorError,
    load_settings,
    open_database,
    operator_errors,
    settle,
)
from bot.core.clock import SystemClock
from bot.core.config import Settings
from bot.core.i18n import Catalogs, load_languages
from bot.reports.media import MediaLimits, MediaRejected, open_store, store_photo
from db.models import BroadcastKind
from db.repositories import Repos

EXTRA = {"allow_extra_args": True, "ignore_unknown_options": True}


def parse_local(text: str, settings: Settings) -> datetime:
    """An ISO-8601 local time ("2026-12-06T08:00"); a time with an offset is taken as given."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise OperatorError(
            f'expected a local time like "2026-12-06T08:00", not {text!r}'
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=settings.tz)


def translations(extra: list[str], settings: Settings) -> dict[str, str]:
    """`--text-<code> TEXT` pairs from the extra arguments, checked against LANGUAGES."""
    found: dict[str, str] = {}
    items = list(extra)
    while items:
        item = items.pop(0)
        name, equals, value = item.partition("=")
        if not name.startswith("--text-"):
            raise OperatorError(f"unknown option {name!r}")
        code = name.removeprefix("--text-")
        if code not in settings.languages or code == settings.default_language:
            others = ", ".join(c for c in settings.languages if c != settings.default_language)
            raise OperatorError(f"--text-{code}: the translations are for {others}")
        if not equals:
            if not items:
                raise OperatorError(f"{name} needs a text")
            value = items.pop(0)
        found[code] = value
    return found


def _photo(path: Path | None, settings: Settings) -> str | None:
    if path is None:
        return None
    try:
        stored = store_photo(open_store(settings), path, MediaLimits.of(settings))
    except MediaRejected as exc:
        raise OperatorError(f"{path}: not a photo Loa can send ({exc.problem})") from exc
    except OSError as exc:
        raise OperatorError(f"{path}: {exc.strerror}") from exc
    return str(open_store(settings).local_path(stored.key).resolve())


async def create_from_cli(settings: Settings, draft_args: dict[str, Any]) -> dict[str, Any]:
    """Store a broadcast or poll and queue its copies; {"id", "recipients"}."""
    now = SystemClock().now()
    async with open_database(settings) as (db, org):
        languages = load_languages(settings.locales_dir, settings.languages)
        catalogs = Catalogs(settings.locales_dir, languages)
        try:
            draft = Draft(
                audience=Audience.parse(draft_args.pop("audience"), org, settings.languages),
                **draft_args,
            )
            async with db.session() as session:
                broadcast = await create(
                    Repos.of(session),
                    draft,
                    author=None,
                    settings=settings,
                    catalogs=catalogs,
                    org=org,
                    now=now,
                )
        except BroadcastError as exc:
            raise OperatorError(str(exc)) from exc
    return {"id": broadcast.id, "recipients": broadcast.recipients}


async def status_of(settings: Settings, broadcast_id: int, *, poll: bool) -> dict[str, Any]:
    """A broadcast's figures, or a poll's results."""
    async with open_database(settings) as (db, org), db.session() as session:
        repos = Repos.of(session)
        broadcast = await repos.broadcasts.get(broadcast_id)
        kind = BroadcastKind.poll.value if poll else BroadcastKind.announcement.value
        if broadcast is None or (poll and broadcast.kind != kind):
            raise OperatorError(f"no {'poll' if poll else 'broadcast'} #{broadcast_id}")
        if poll:
            return (await poll_results(repos, broadcast, org, settings.default_language)).as_json()
        numbers = (await figures(repos, broadcast)).as_json()
        return {"id": broadcast.id, "kind": broadcast.kind, **numbers}


def _print(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    for key, value in data.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        typer.echo(f"{key}: {shown}")


AudienceOption = Annotated[
    str, typer.Option(help="all | unit:ID | language:CODE | role:ROLE (villager, officer…)")
]
AtOption = Annotated[str | None, typer.Option(help="Send at this local time (ISO 8601), not now.")]
YesOption = Annotated[bool, typer.Option("--yes", help="Send without asking again.")]

app = typer.Typer(
    name="broadcast", help="Announcements to villagers and officers.", no_args_is_help=True
)
polls_app = typer.Typer(name="polls", help="Quick polls.", no_args_is_help=True)


def _queue(
    ctx: typer.Context,
    kind: BroadcastKind,
    text: str,
    audience: str,
    at: str | None,
    yes: bool,
    as_json: bool,
    **fields: Any,
) -> None:
    """Check the arguments, ask (unless --yes), queue, print {"id", "recipients"}.

    `fields` are the Draft's own, but for `photo` (a file, stored first), `closes` (a local time,
    parsed) and `options` (a list)."""
    settings = load_settings()
    with operator_errors():
        if "photo" in fields:
            fields["photo_path"] = _photo(fields.pop("photo"), settings)
        if "closes" in fields:
            fields["closes_at"] = parse_local(fields.pop("closes"), settings)
            fields["options"] = tuple(fields["options"])
        args: dict[str, Any] = {
            "kind": kind,
            "audience": audience,
            "texts": {settings.default_language: text, **translations(ctx.args, settings)},
            "send_at": parse_local(at, settings) if at else None,
            **fields,
        }
        if not yes and not typer.confirm("Queue it for sending?"):
            raise typer.Exit(1)
        created = asyncio.run(create_from_cli(settings, args))
    _print(created, as_json)


def _show(broadcast_id: int, as_json: bool, *, poll: bool) -> None:
    settings = load_settings()
    data = settle(status_of(settings, broadcast_id, poll=poll))
    _print(data, as_json)


@app.command("create", context_settings=EXTRA)
def broadcast_create(
    ctx: typer.Context,
    audience: AudienceOption,
    text: Annotated[str, typer.Option(help="The announcement in Vietnamese.")],
    photo: Annotated[Path | None, typer.Option(help="A photo sent with it.")] = None,
    at: AtOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Queue an announcement (`--text-bdq TEXT`… add translations); prints its id."""
    _queue(ctx, BroadcastKind.announcement, text, audience, at, yes, as_json, photo=photo)


@app.command("status")
def broadcast_status(
    broadcast_id: Annotated[int, typer.Argument(metavar="ID")], as_json: JsonOption = False
) -> None:
    """How a broadcast's sending goes: sent, waiting, failed, unreachable, opted out."""
    _show(broadcast_id, as_json, poll=False)


@polls_app.command("create", context_settings=EXTRA)
def polls_create(
    ctx: typer.Context,
    audience: AudienceOption,
    question: Annotated[str, typer.Option(help="The question in Vietnamese.")],
    option: Annotated[list[str], typer.Option(help="An answer (2 to 6 times).")],
    closes: Annotated[str, typer.Option(help="Closing local time (ISO 8601).")],
    at: AtOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Queue a poll (`--text-bdq TEXT`… translate the question); prints its id."""
    _queue(
        ctx,
        BroadcastKind.poll,
        question,
        audience,
        at,
        yes,
        as_json,
        options=option,
        closes=closes,
    )


@polls_app.command("results")
def polls_results(
    poll_id: Annotated[int, typer.Argument(metavar="ID")], as_json: JsonOption = False
) -> None:
    """A poll's answers: by option, by commune, by language."""
    _show(poll_id, as_json, poll=True)
