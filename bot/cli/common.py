"""What the `loa` command groups share: settings, operator errors, dates, the database, and
the language of the tables printed for people."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import typer

from bot.core import i18n
from bot.core.config import Settings, read_settings
from bot.core.logging import configure_logging
from db.org import OrgMap
from db.session import Database

T = TypeVar("T")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


class OperatorError(ValueError):
    """A command's arguments do not fit (the message is for the operator)."""


def parse_day(text: str, example: str = "2026-11-01") -> date:
    """A date typed as 2026-11-01 or 01/11/2026."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    shown = date.fromisoformat(example)
    raise OperatorError(f"expected a date like {example} or {shown:%d/%m/%Y}, not {text!r}")


@contextmanager
def operator_errors(exit_code: int = 2, *also: type[Exception]) -> Iterator[None]:
    """Turn an operator's mistake (or one of the errors `also` names) into "error: …" on stderr
    and an exit code, not a traceback."""
    caught: tuple[type[Exception], ...] = (OperatorError, *also)
    try:
        yield
    except caught as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exit_code) from exc


def settle(work: Coroutine[Any, Any, T], *, exit_code: int = 2) -> T:
    """Run `work` to its end; an operator's mistake in it becomes "error: …" and `exit_code`."""
    with operator_errors(exit_code):
        return asyncio.run(work)


def load_settings(*, running: bool = False) -> Settings:
    """Read the settings and set up logging with secrets redacted.

    Logs go to stderr at LOG_LEVEL; unset, at INFO only when `running` the chat platforms, else
    at WARNING, so commands and the console stay quiet unless something is wrong.
    """
    settings = read_settings()
    configure_logging(
        settings, default_level="INFO" if running and settings.channels_configured else "WARNING"
    )
    return settings


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[tuple[Database, OrgMap]]:
    """Open the database migrated and with the org file synced, as the bot does on start."""
    from bot.app import open_database as open_checked

    db, org = await open_checked(settings)
    try:
        yield db, org
    finally:
        await db.close()


def find_unit(org: OrgMap, text: str) -> str:
    """The id of the unit an operator named, or an OperatorError that says where to look."""
    resolution = org.resolve(text)
    if resolution.unit is None:
        raise OperatorError(f"unknown unit {text!r}: `loa org show` lists the units")
    return resolution.unit.id


# Where a terminal says which language it speaks, in gettext's order of precedence.
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
ENGLISH = "en"


def table_language(settings: Settings, environ: Mapping[str, str] = os.environ) -> str:
    """The language of tables printed for people: LANGUAGE, else the locale; Vietnamese by default.

    The district's officers read Vietnamese, so a terminal that names no language gets it;
    English for `LANGUAGE=en`, an English or a C/POSIX locale (`LANG=C.UTF-8`), or any
    language Loa does not speak. JSON output never changes: scripts read it.
    """
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "").split(":")[0].strip()
        if not value:
            continue
        code = value.split(".")[0].split("@")[0].split("_")[0].lower()
        return code if code in settings.languages else ENGLISH
    return settings.default_language


@contextmanager
def speaking(settings: Settings) -> Iterator[None]:
    """Translate the tables printed in this block into the terminal's language."""
    code = table_language(settings)
    if code == ENGLISH:  # the msgids are English
        yield
        return
    languages = i18n.load_languages(settings.locales_dir, (code,))
    with i18n.use(i18n.Catalogs(settings.locales_dir, languages), code):
        yield


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines of aligned columns (the last column is not padded)."""
    widths = [max(len(row[i]) for row in rows if len(row) > i) for i in range(max(map(len, rows)))]
    return [
        "  ".join(
            cell if i == len(row) - 1 else cell.ljust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def echo(settings: Settings, data: T, as_json: bool, render: Callable[[T], str]) -> None:
    """`data` as JSON for scripts, else as `render` writes it, in the terminal's language."""
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    with speaking(settings):
        typer.echo(render(data))
