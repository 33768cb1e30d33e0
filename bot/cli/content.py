"""`loa ask` and `loa content check`: the search and the content files, from the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml

from bot.cli.common import load_settings

app = typer.Typer(help="Check the content files.", no_args_is_help=True)


def ask(
    question: Annotated[str, typer.Argument(help="The question, or - to read one per line.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10)] = 5,
) -> None:
    """Show the topics that best answer a question."""
    from bot.app import load_search
    from bot.content.topics import ContentLibrary

    settings = load_settings()
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
