"""The `loa` command: one module per command group, wired here."""

from __future__ import annotations

import typer

from bot.cli import broadcast, content, deadlines, i18n, invites, org, reports, run

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
app.add_typer(reports.app, name="reports")
app.add_typer(deadlines.app, name="deadlines")
app.add_typer(deadlines.reminders_app, name="reminders")
app.add_typer(broadcast.app, name="broadcast")
app.add_typer(broadcast.polls_app, name="polls")


def main() -> None:
    """Entry point of the `loa` console script."""
    app()
