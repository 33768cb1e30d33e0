"""The `loa` command: run the bot, ask the search, check content, inspect the org file."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml

from bot.config import Settings

app = typer.Typer(
    help="Loa: the commune's loudspeaker, in Telegram, Zalo and the terminal.",
    no_args_is_help=True,
    add_completion=False,
)
content_app = typer.Typer(help="Check the content files.", no_args_is_help=True)
org_app = typer.Typer(help="Inspect the org file.", no_args_is_help=True)
i18n_app = typer.Typer(help="Keep the UI string catalogs current.", no_args_is_help=True)
app.add_typer(content_app, name="content")
app.add_typer(org_app, name="org")
app.add_typer(i18n_app, name="i18n")


def _settings() -> Settings:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic announces every migration step at INFO; Loa's own start-up line is enough.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return settings


@app.command()
def run() -> None:
    """Run Loa: the configured channels, or the console when none is configured."""
    settings = _settings()
    configured = settings.channels_configured
    if configured:
        typer.echo(
            f"Channels configured ({', '.join(configured)}) are not available in this "
            "build; unset their tokens to use the console.",
            err=True,
        )
        raise typer.Exit(2)
    asyncio.run(_run_console(settings))


async def _run_console(settings: Settings) -> None:
    from bot.app import Loa
    from bot.channels.console import CHANNEL, ConsoleChannel, ConsoleSender
    from bot.outbox import OutboxWorker

    loa = await Loa.start(settings)
    worker = OutboxWorker(
        loa.db, {CHANNEL: ConsoleSender(sys.stdout)}, settings, loa.services.clock
    )
    try:
        await ConsoleChannel(loa.engine.handle, sys.stdout, after=worker.flush).run(sys.stdin)
    finally:
        await loa.close()


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, or - to read one per line.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10)] = 5,
) -> None:
    """Show the topics that best answer a question."""
    from bot.app import load_search
    from bot.content import ContentLibrary

    settings = _settings()
    library = ContentLibrary.load(settings.content_dir)
    index = load_search(library)
    questions = [line.strip() for line in sys.stdin] if question == "-" else [question]
    for q in questions:
        if question == "-" and not q:
            continue
        hits = index.search(q, limit=limit)
        if as_json:
            rows = [
                {"topic": h.topic_id, "score": round(h.score, 4), "title": h.title} for h in hits
            ]
            typer.echo(json.dumps({"q": q, "results": rows}, ensure_ascii=False))
            continue
        typer.echo(f"? {q}")
        if not hits:
            typer.echo("  (no answer)")
        confident = index.is_confident(hits)
        for n, hit in enumerate(hits, 1):
            mark = " ✔" if n == 1 and confident else ""
            typer.echo(f"  {n}. {hit.topic_id}  {hit.score:.2f}  {hit.title}{mark}")


@content_app.command("check")
def content_check(
    content_dir: Annotated[Path | None, typer.Option(help="Defaults to CONTENT_DIR.")] = None,
) -> None:
    """Validate front matter, coverage of the required topics, links and message sizes."""
    from bot.content import ContentError, ContentLibrary

    settings = _settings()
    directory = content_dir or settings.content_dir
    try:
        library = ContentLibrary.load(directory)
    except ContentError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    required = _required_topics(directory / "topics.yaml")
    report = library.check(required)
    for warning in report.warnings:
        typer.echo(f"warning: {warning}")
    if report.to_verify:
        typer.echo(f"to verify ({len(report.to_verify)} items, not stated as facts):")
        for where, item in report.to_verify:
            typer.echo(f"  - {where}: {item}")
    for error in report.errors:
        typer.echo(f"error: {error}", err=True)
    languages = sorted(library.languages)
    typer.echo(
        f"{len(library.ids)} topics; languages: {', '.join(languages)}; "
        f"{len(report.errors)} errors"
    )
    if not report.ok:
        raise typer.Exit(1)


def _required_topics(path: Path) -> list[str]:
    if not path.exists():
        return []
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [str(item["id"]) for item in raw]


@org_app.command("show")
def org_show(
    org_file: Annotated[Path | None, typer.Option(help="Defaults to ORG_FILE.")] = None,
) -> None:
    """Print the org tree and the old names it still accepts."""
    from db.org import OrgFileError, load_org

    settings = _settings()
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


@i18n_app.command("extract")
def i18n_extract() -> None:
    """Collect the UI strings of the code into locales/messages.pot."""
    from bot import catalogs

    settings = _settings()
    changed = catalogs.write_template(settings.locales_dir)
    typer.echo("messages.pot updated" if changed else "messages.pot already current")


@i18n_app.command("update")
def i18n_update() -> None:
    """Bring every configured language's catalog in line with messages.pot."""
    from bot import catalogs

    settings = _settings()
    report = catalogs.update(settings.locales_dir, list(settings.languages))
    for code in report.created:
        typer.echo(f"{code}: created from the template")
    for code in report.changed:
        typer.echo(f"{code}: updated")
    if not report.created and not report.changed:
        typer.echo("all catalogs current")


def main() -> None:
    """Entry point of the `loa` console script."""
    app()
