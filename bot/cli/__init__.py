"""The `loa` command: one module per command group, wired here."""

from __future__ import annotations

import os

import typer

from bot.cli import (
    broadcast,
    content,
    db,
    deadlines,
    demo,
    export,
    i18n,
    invites,
    org,
    privacy,
    questions,
    reports,
    run,
    tickets,
    users,
    zalo_oa,
)
from bot.core.config import StartupError

app = typer.Typer(
    help="Loa: the commune's loudspeaker, in Telegram, Zalo and the terminal.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(run.run)
app.command()(content.ask)
app.add_typer(content.app, name="content")
app.add_typer(org.app, name="org")
app.add_typer(i18n.app, name="i18n")
app.add_typer(invites.app, name="invite")
app.add_typer(users.app, name="users")
app.add_typer(reports.app, name="reports")
app.add_typer(deadlines.app, name="deadlines")
app.add_typer(deadlines.reminders_app, name="reminders")
app.add_typer(db.app, name="db")
app.add_typer(tickets.app, name="tickets")
app.add_typer(questions.app, name="questions")
app.add_typer(users.app, name="users")
app.add_typer(privacy.app, name="privacy")
app.command()(export.export)
app.add_typer(demo.app, name="demo")
app.add_typer(broadcast.app, name="broadcast")
app.add_typer(broadcast.polls_app, name="polls")
app.add_typer(zalo_oa.app, name="zalo-oa")


def main() -> None:
    """Entry point of the `loa` console script."""
    # Files Loa writes (the SQLite database, photos, exports) hold personal data: readable by the
    # service user only, whatever the host's default umask.
    os.umask(0o077)
    try:
        app()
    except StartupError as exc:
        # A setting to fix, said in one line: a traceback would bury it.
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
