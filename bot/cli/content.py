"""`loa ask` and `loa content check`: the search and the content files, from the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml

from bot.cli.common import load_settings

if TYPE_CHECKING:
    from bot.content.answers import Analysis, Ask

app = typer.Typer(help="Check the content files.", no_args_is_help=True)


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
) -> None:
    """Validate front matter, coverage of the required topics, links and message sizes."""
    from bot.content.topics import ContentError, ContentLibrary

    settings = load_settings()
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
