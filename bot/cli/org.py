"""`loa org show`: the administrative tree Loa routes by."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import OperatorError, find_unit, load_settings, open_database, settle
from bot.core.config import Settings

PLACE_NAME_MAX = 100  # as a place typed in a report

app = typer.Typer(name="org", help="Inspect the org file.", no_args_is_help=True)


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


@app.command("add-village")
def org_add_village(
    unit: Annotated[str, typer.Argument(help="The commune: its id or name.")],
    name: Annotated[str, typer.Argument(help='The village as people call it: "Thôn 5".')],
) -> None:
    """Add a village (thôn, làng, buôn) under a commune; reporters can choose it at once."""
    settings = load_settings()
    line = settle(_add_village(settings, unit, name))
    typer.echo(line)


async def _add_village(settings: Settings, unit: str, name: str) -> str:
    from db.repositories import Repos

    name = " ".join(name.split())
    if not 2 <= len(name) <= PLACE_NAME_MAX:
        raise OperatorError(f"the name must have 2 to {PLACE_NAME_MAX} characters")
    async with open_database(settings) as (db, org), db.session() as session:
        repos = Repos.of(session)
        parent = await repos.units.get(find_unit(org, unit))
        if parent is None or not repos.units.holds_villages(parent):
            raise OperatorError(
                f"{unit!r} is not a commune of the current map: villages go under a commune"
            )
        village, added = await repos.units.add_village(parent, name)
    if not added:
        return f"{village.id}: {village.name} is already a place of {parent.name}"
    return f"added {village.id}: {village.name} under {parent.name}"
