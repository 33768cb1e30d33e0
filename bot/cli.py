"""The `loa` command: run the bot, ask the search, check content, inspect the org file."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import yaml

from bot.config import Settings
from bot.i18n import Language
from bot.logging import install_redaction, secrets_of
from bot.operator import OperatorError

app = typer.Typer(
    help="Loa: the commune's loudspeaker, in Telegram, Zalo and the terminal.",
    no_args_is_help=True,
    add_completion=False,
)
content_app = typer.Typer(help="Check the content files.", no_args_is_help=True)
org_app = typer.Typer(help="Inspect the org file.", no_args_is_help=True)
i18n_app = typer.Typer(
    help="Keep the UI string catalogs current; translator sheets; coverage.", no_args_is_help=True
)
app.add_typer(content_app, name="content")
app.add_typer(org_app, name="org")
app.add_typer(i18n_app, name="i18n")
invite_app = typer.Typer(help="Create invite codes (roles).", no_args_is_help=True)
reports_app = typer.Typer(help="Read field reports.", no_args_is_help=True)
app.add_typer(invite_app, name="invite")
app.add_typer(reports_app, name="reports")
deadlines_app = typer.Typer(help="Reporting deadlines.", no_args_is_help=True)
reminders_app = typer.Typer(help="Reminders of reporting deadlines.", no_args_is_help=True)
app.add_typer(deadlines_app, name="deadlines")
app.add_typer(reminders_app, name="reminders")


@contextmanager
def operator_errors(exit_code: int = 2) -> Iterator[None]:
    """Turn an operator's mistake into "error: …" on stderr and an exit code, not a traceback."""
    try:
        yield
    except OperatorError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exit_code) from exc


def _settings() -> Settings:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic announces every migration step at INFO; Loa's own start-up line is enough.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    install_redaction(secrets_of(settings))
    return settings


@app.command()
def run() -> None:
    """Run Loa: the configured channels, or the console when none is configured."""
    settings = _settings()
    if not settings.channels_configured:
        asyncio.run(_run_console(settings))
        return
    from bot.runtime import check_config, serve

    problems = check_config(settings)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(2)
    code = asyncio.run(serve(settings))
    if code:
        raise typer.Exit(code)


async def _run_console(settings: Settings) -> None:
    from bot.app import Loa
    from bot.channels.console import CHANNEL, ConsoleChannel, ConsoleSender
    from bot.outbox import OutboxWorker
    from bot.scheduler import Scheduler

    loa = await Loa.start(settings)
    worker = OutboxWorker(
        loa.db, {CHANNEL: ConsoleSender(sys.stdout)}, settings, loa.services.clock
    )
    # Reminders are planned in the background and show after the next line typed.
    scheduler = Scheduler(loa, worker, run_worker=False)
    await scheduler.start()
    try:
        await ConsoleChannel(loa.engine.handle, sys.stdout, after=worker.flush).run(sys.stdin)
    finally:
        await scheduler.stop()
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


@i18n_app.command("compile")
def i18n_compile() -> None:
    """Write messages.mo beside every configured language's catalog (for other gettext tools)."""
    from bot import catalogs

    settings = _settings()
    written = catalogs.compile_catalogs(settings.locales_dir, list(settings.languages))
    for path in written:
        typer.echo(f"{path.relative_to(settings.locales_dir)}: compiled")
    if not written:
        typer.echo("all .mo files current")


def _translated_language(code: str) -> Language:
    from bot.i18n import SOURCE_LANGUAGE, load_languages

    settings = _settings()
    if code == SOURCE_LANGUAGE or code not in settings.languages:
        others = ", ".join(c for c in settings.languages if c != SOURCE_LANGUAGE)
        typer.echo(f"error: {code!r} is not a language to translate into ({others})", err=True)
        raise typer.Exit(2)
    return load_languages(settings.locales_dir, (code,))[0]


@i18n_app.command("export")
def i18n_export(
    lang: Annotated[str, typer.Option("--lang", help="The language, e.g. bdq.")],
    out: Annotated[Path, typer.Option("--out", help="The workbook to write (.xlsx).")],
) -> None:
    """Write a translator workbook: every UI string and every topic, paragraph by paragraph."""
    from bot.sheets import export

    language = _translated_language(lang)
    settings = _settings()
    counts = export(settings.locales_dir, settings.content_dir, language, out)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    typer.echo(f"{out}: {language.code} ({summary})")


@i18n_app.command("import")
def i18n_import(
    workbook: Annotated[Path, typer.Argument(help="A workbook made by `loa i18n export`.")],
    lang: Annotated[str | None, typer.Option("--lang", help="Refuse a sheet of another.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write nothing.")] = False,
) -> None:
    """Read a translator workbook back: check every row, store the good ones, report."""
    from bot.sheets import SheetError, read_edits
    from bot.translations import apply_edits

    settings = _settings()
    try:
        code, edits = read_edits(workbook, lang)
    except SheetError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    _translated_language(code)
    report = apply_edits(settings.locales_dir, settings.content_dir, code, edits, dry_run=dry_run)
    typer.echo(
        f"{code}: {len(report.changed)} changed, {len(report.refused)} refused, "
        f"{report.unchanged} unchanged" + (" (dry run: nothing written)" if dry_run else "")
    )
    for item in report.changed:
        typer.echo(f"  changed  {item.sheet} row {item.row} {item.key!r}: {item.what}")
    for item in report.refused:
        typer.echo(f"  refused  {item.sheet} row {item.row} {item.key!r}: {item.what}")
    for line in report.dropped:
        typer.echo(f"  dropped  {line}")
    for path in report.files:
        typer.echo(f"  wrote    {path}")
    if report.refused:
        raise typer.Exit(1)


@i18n_app.command("coverage")
def i18n_coverage(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Per language: UI strings translated, topics translated, recordings."""
    from bot.translations import coverage

    settings = _settings()
    found = coverage(settings.locales_dir, settings.content_dir, settings.languages)
    if as_json:
        typer.echo(json.dumps([c.as_dict() for c in found], ensure_ascii=False, indent=2))
        return
    typer.echo(f"{'language':<28} {'UI strings':>12} {'topics':>8} {'partial':>8} {'audio':>8}")
    for c in found:
        name = f"{c.code} {c.label}"
        stale = f" ({c.ui_stale} stale)" if c.ui_stale else ""
        typer.echo(
            f"{name:<28} {c.ui_translated:>5}/{c.ui_total:<6} "
            f"{c.topics_translated:>3}/{c.topics_total:<4} {c.topics_partial:>8} "
            f"{c.recordings:>3}/{c.topics_total:<4}{stale}"
        )


@invite_app.command("create")
def invite_create(
    role: Annotated[str, typer.Option(help="reporter, officer or admin.")],
    unit: Annotated[str, typer.Option(help="Unit id (or name) from the org file.")],
    count: Annotated[int, typer.Option(min=1, max=50)] = 1,
    expires: Annotated[str, typer.Option(help="Validity: 7d, 12h, 30m.")] = "7d",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print one-time invite codes; a user sends /join CODE to take the role."""
    from bot import reports_cli

    settings = _settings()
    with operator_errors():
        batch = asyncio.run(
            reports_cli.create_invites(
                settings, role=role, unit=unit, count=count, expires=expires
            )
        )
    if as_json:
        typer.echo(json.dumps(reports_cli.invite_json(batch), ensure_ascii=False))
    else:
        typer.echo(reports_cli.render_invites(batch))


@reports_app.command("list")
def reports_list(
    unit: Annotated[str | None, typer.Option(help="A unit and the units under it.")] = None,
    status: Annotated[str | None, typer.Option(help="submitted, approved, …")] = None,
    since: Annotated[str | None, typer.Option(help="Activities on or after this date.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List field reports, newest first (drafts only with --status draft)."""
    from bot import reports_cli

    settings = _settings()
    with operator_errors():
        rows = asyncio.run(
            reports_cli.list_reports(settings, unit=unit, status=status, since=since, limit=limit)
        )
    typer.echo(json.dumps(rows, ensure_ascii=False) if as_json else reports_cli.render_list(rows))


@reports_app.command("show")
def reports_show(
    report_id: Annotated[int, typer.Argument(help="The report number.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one report: answers, photos with their metadata, and its history."""
    from bot import reports_cli

    settings = _settings()
    with operator_errors(exit_code=1):
        data = asyncio.run(reports_cli.show_report(settings, report_id))
    typer.echo(
        json.dumps(data, ensure_ascii=False) if as_json else reports_cli.render_report(data)
    )


@deadlines_app.command("list")
def deadlines_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every deadline: stored ones with their counts, and the next ones from the rules."""
    from bot import deadlines_cli

    settings = _settings()
    rows = asyncio.run(deadlines_cli.list_deadlines(settings))
    typer.echo(
        json.dumps(rows, ensure_ascii=False) if as_json else deadlines_cli.render_list(rows)
    )


@deadlines_app.command("add")
def deadlines_add(
    title: Annotated[str, typer.Option(help="What report is wanted.")],
    due: Annotated[str, typer.Option(help="Due BEFORE this day: 2027-07-15 or 15/07/2027.")],
    unit: Annotated[
        list[str] | None, typer.Option(help="A unit id or name (repeat for more).")
    ] = None,
    all_units: Annotated[bool, typer.Option("--all", help="Every reporting unit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an ad-hoc deadline ("đột xuất, khi có yêu cầu"); officers are told at once."""
    from dataclasses import asdict

    from bot import deadlines_cli

    settings = _settings()
    with operator_errors():
        created = asyncio.run(
            deadlines_cli.add_deadline(
                settings, title=title, due=due, units=list(unit or []), all_units=all_units
            )
        )
    if as_json:
        typer.echo(json.dumps(asdict(created), ensure_ascii=False))
    else:
        typer.echo(
            f"#{created.id} {created.title}: due before {created.due_before}, "
            f"{len(created.units)} unit(s): {', '.join(created.units)}"
        )


@reminders_app.command("preview")
def reminders_preview(
    at: Annotated[str, typer.Option(help='Local time, "YYYY-MM-DD HH:MM".')],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What the planner would queue at that moment (nothing is written or sent)."""
    from bot import deadlines_cli

    settings = _settings()
    with operator_errors():
        moment = deadlines_cli.parse_moment(at, settings)
    data = asyncio.run(deadlines_cli.preview(settings, moment))
    typer.echo(
        json.dumps(data, ensure_ascii=False)
        if as_json
        else deadlines_cli.render_preview(data, settings)
    )


def main() -> None:
    """Entry point of the `loa` console script."""
    app()
