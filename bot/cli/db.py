"""`loa db backup|restore`: the whole database to one file and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import load_settings, operator_errors
from db.backup import BackupError, backup, restore

app = typer.Typer(name="db", help="Back the database up and restore it.", no_args_is_help=True)


@app.command("backup")
def db_backup(
    out: Annotated[Path, typer.Option("--out", help="The backup file to write.")],
) -> None:
    """Write a consistent copy of the database (Loa may keep running)."""
    settings = load_settings()
    with operator_errors(1, BackupError):
        backup(settings.database_url, out)
    typer.echo(f"{out}: backup written ({out.stat().st_size} bytes); it holds personal data")


@app.command("restore")
def db_restore(
    source: Annotated[Path, typer.Argument(help="A file written by `loa db backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the database without asking.")
    ] = False,
) -> None:
    """Replace the database's contents with a backup (stop Loa first)."""
    settings = load_settings()
    if not yes:
        typer.confirm(
            "This replaces everything in the database with the backup. Is Loa stopped?",
            abort=True,
        )
    with operator_errors(1, BackupError):
        restore(settings.database_url, source)
    typer.echo(f"restored from {source}")
