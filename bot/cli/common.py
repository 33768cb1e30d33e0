"""What the `loa` command groups share: settings, operator errors, dates, the database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime

import typer

from bot.core.config import Settings, read_settings
from bot.core.logging import configure_logging
from db.org import OrgMap
from db.session import Database


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
def operator_errors(exit_code: int = 2) -> Iterator[None]:
    """Turn an operator's mistake into "error: …" on stderr and an exit code, not a traceback."""
    try:
        yield
    except OperatorError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exit_code) from exc


def load_settings() -> Settings:
    """Read the settings and set up logging with secrets redacted."""
    settings = read_settings()
    configure_logging(settings)
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
