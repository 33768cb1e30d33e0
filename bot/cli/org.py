"""`loa org show`: the administrative tree Loa routes by."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import load_settings

app = typer.Typer(help="Inspect the org file.", no_args_is_help=True)


@app.command("show")
def org_show(
    org_file: Annotated[Path | None, typer.Option(help="Defaults to ORG_FILE.")] = None,
) -> None:
    """Print the org tree and the old names it still accepts."""
    from db.org import OrgFileError, load_org

    settings = load_settings()
    try:
        org = load_org(org_file or settings.org_file)
    except OrgFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{org.name}: {org.title}")

    def show(parent: str | None, depth: int) -> None:
        for unit in org.children(parent):
            flag = " [reports]" if unit.reporting else ""
            typer.echo(f"{'  ' * depth}- {unit.id}: {unit.name} ({unit.kind}){flag}")
            show(unit.id, depth + 1)

    show(None, 0)
    for gone in org.dissolved:
        typer.echo(
            f"dissolved {gone.id} ({gone.name}, {gone.ended}) → {', '.join(gone.successors)}"
        )
