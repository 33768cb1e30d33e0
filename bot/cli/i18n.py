"""`loa i18n …`: UI catalogs, translator workbooks and coverage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import load_settings
from bot.core.i18n import Language

app = typer.Typer(
    name="i18n",
    help="Keep the UI string catalogs current; translator sheets; coverage.",
    no_args_is_help=True,
)


@app.command("extract")
def i18n_extract() -> None:
    """Collect the UI strings of the code into locales/messages.pot."""
    from bot.translations import catalogs

    settings = load_settings()
    changed = catalogs.write_template(settings.locales_dir)
    typer.echo("messages.pot updated" if changed else "messages.pot already current")


@app.command("update")
def i18n_update() -> None:
    """Bring every configured language's catalog in line with messages.pot."""
    from bot.translations import catalogs

    settings = load_settings()
    report = catalogs.update(settings.locales_dir, list(settings.languages))
    for code in report.created:
        typer.echo(f"{code}: created from the template")
    for code in report.changed:
        typer.echo(f"{code}: updated")
    if not report.created and not report.changed:
        typer.echo("all catalogs current")


@app.command("compile")
def i18n_compile() -> None:
    """Write messages.mo beside every configured language's catalog (for other gettext tools)."""
    from bot.translations import catalogs

    settings = load_settings()
    written = catalogs.compile_catalogs(settings.locales_dir, list(settings.languages))
    for path in written:
        typer.echo(f"{path.relative_to(settings.locales_dir)}: compiled")
    if not written:
        typer.echo("all .mo files current")


def _translated_language(code: str) -> Language:
    from bot.core.i18n import SOURCE_LANGUAGE, load_languages

    settings = load_settings()
    if code == SOURCE_LANGUAGE or code not in settings.languages:
        others = ", ".join(c for c in settings.languages if c != SOURCE_LANGUAGE)
        typer.echo(f"error: {code!r} is not a language to translate into ({others})", err=True)
        raise typer.Exit(2)
    return load_languages(settings.locales_dir, (code,))[0]


@app.command("export")
def i18n_export(
    lang: Annotated[str, typer.Option("--lang", help="The language, e.g. bdq.")],
    out: Annotated[Path, typer.Option("--out", help="The workbook to write (.xlsx).")],
) -> None:
    """Write a translator workbook: every UI string and every topic, paragraph by paragraph."""
    from bot.translations.sheets import export

    language = _translated_language(lang)
    settings = load_settings()
    counts = export(settings.locales_dir, settings.content_dir, language, out)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    typer.echo(f"{out}: {language.code} ({summary})")


@app.command("import")
def i18n_import(
    workbook: Annotated[Path, typer.Argument(help="A workbook made by `loa i18n export`.")],
    lang: Annotated[str | None, typer.Option("--lang", help="Refuse a sheet of another.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write nothing.")] = False,
) -> None:
    """Read a translator workbook back: check every row, store the good ones, report."""
    from bot.translations.sheets import SheetError, read_edits
    from bot.translations.workflow import apply_edits

    settings = load_settings()
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


@app.command("coverage")
def i18n_coverage(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Per language: UI strings translated, topics translated, recordings."""
    from bot.translations.workflow import coverage

    settings = load_settings()
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
