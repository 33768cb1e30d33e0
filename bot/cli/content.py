"""`loa ask` and `loa content check`: the search and the content files, from the terminal."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml

from bot.cli.common import OperatorError, load_settings, operator_errors, parse_day

if TYPE_CHECKING:
    from bot.content.answers import Analysis, Ask

app = typer.Typer(name="content", help="Check the content files.", no_args_is_help=True)


def ask(
    question: Annotated[str, typer.Argument(help="The question, or - to read one per line.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10)] = 5,
) -> None:
    """Show the topics that best answer a question."""
    from bot.app import load_answerer
    from bot.content.topics import ContentLibrary

    settings = load_settings()
    answerer = load_answerer(ContentLibrary.load(settings.content_dir))
    questions = [line.strip() for line in sys.stdin] if question == "-" else [question]
    for q in questions:
        if question == "-" and not q:
            continue
        analysis = answerer.analyse(q, limit=limit)
        if as_json:
            typer.echo(json.dumps(_as_json(analysis), ensure_ascii=False))
            continue
        typer.echo(f"? {q}")
        if analysis.urgent is not None:
            typer.echo(f"  urgent ({analysis.urgent.danger}): the safety answer comes first")
        if analysis.out_of_scope is not None:
            typer.echo(f"  out of scope ({analysis.out_of_scope}): Loa says whom to ask")
        if not analysis.hits:
            typer.echo("  (no answer)")
        for n, hit in enumerate(analysis.hits, 1):
            mark = " ✔" if n == 1 and analysis.confident else ""
            typer.echo(f"  {n}. {hit.topic_id}  {hit.score:.2f}  {hit.title}{mark}")
        if analysis.main.fact is not None and not analysis.main.fact_found:
            typer.echo(f"  the page does not state the {analysis.main.fact} asked for")


def _as_json(analysis: Analysis) -> dict[str, object]:
    """One message's answer as `loa ask --json` prints it."""

    def hits(ask: Ask) -> list[dict[str, object]]:
        return [
            {"topic": h.topic_id, "score": round(h.score, 4), "title": h.title} for h in ask.hits
        ]

    def verdict(ask: Ask) -> dict[str, object]:
        return {
            "confident": ask.confident,
            "fact_found": ask.fact_found,
            "fact": str(ask.fact) if ask.fact else None,
            "out_of_scope": ask.out_of_scope is not None,
            "out_of_scope_subject": str(ask.out_of_scope) if ask.out_of_scope else None,
        }

    return {
        "q": analysis.text,
        "results": hits(analysis.main),
        **verdict(analysis.main),
        "confident": analysis.confident,
        "urgent": analysis.urgent is not None,
        "parts": [
            {"q": part.text, "topic": part.subject, **verdict(part)} for part in analysis.parts
        ],
    }


@app.command("check")
def content_check(
    content_dir: Annotated[Path | None, typer.Option(help="Defaults to CONTENT_DIR.")] = None,
    today: Annotated[
        str | None, typer.Option(help="Judge `updated` against this day (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Validate pages: coverage, links, sizes, sources, plain words, commands, first screens."""
    from bot.content.checks import Rules, check_library, load_abbreviations
    from bot.content.topics import ContentError, ContentLibrary

    settings = load_settings()
    directory = content_dir or settings.content_dir
    with operator_errors(exit_code=1):
        day = parse_day(today) if today else dt.datetime.now(settings.tz).date()
        try:
            library = ContentLibrary.load(directory)
            abbreviations = load_abbreviations(directory)
        except (ContentError, ValueError) as exc:
            raise OperatorError(str(exc)) from exc
    required = _required_topics(directory / "topics.yaml")
    report = library.check(required)
    rules = Rules(commands=known_commands(), abbreviations=abbreviations, today=day)
    found = check_library(library, rules)
    report.errors.extend(found.errors)
    report.warnings.extend(found.warnings)
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


def known_commands() -> frozenset[str]:
    """Every command a user can type: the registered routers' and the engine's own."""
    from bot.app import build_routers
    from bot.engine import CANCEL_COMMANDS

    return frozenset(name for router in build_routers() for name in router.commands) | (
        CANCEL_COMMANDS
    )


def _required_topics(path: Path) -> list[str]:
    if not path.exists():
        return []
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [str(item["id"]) for item in raw]
