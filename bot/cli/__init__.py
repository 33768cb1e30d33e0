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
app.command()(export.export)
# Each group's typer names itself.
for group in (
    content.app,
    org.app,
    i18n.app,
    invites.app,
    users.app,
    reports.app,
    deadlines.app,
    deadlines.reminders_app,
    db.app,
    tickets.app,
    questions.app,
    privacy.app,
    demo.app,
    broadcast.app,
    broadcast.polls_app,
    zalo_oa.app,
):
    app.add_typer(group)


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
