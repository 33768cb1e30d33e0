"""Catalog upkeep: extract UI strings into `messages.pot`, update every language's `.po`.

Babel's command line refuses languages without CLDR data (`pybabel init -l bdq` fails), so
this works on catalogs directly: a missing catalog is created from the template, never guessed.
Fuzzy matching is off: a changed English string becomes an empty (untranslated) entry rather
than silently inheriting a translation of something else.

Loa reads the `.po` files itself (bot/i18n.py), so `.mo` files are only for other gettext
consumers: `compile` writes them beside the catalogs (they are git-ignored, built at deploy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.core.config import ROOT
from bot.core.i18n import DOMAIN

KEYWORDS = {"_": None, "N_": None, "gettext": None}
# Code comments starting with this tag reach translators (the .pot and the translator sheet).
COMMENT_TAGS = ("Translators:",)
METHOD_MAP = [
    ("bot/**.py", "python"),
    ("handlers/**.py", "python"),
    # The web desk's pages (Jinja2's own extractor: `_("…")` calls in templates).
    ("bot/web/desk/templates/**.html", "jinja2.ext:babel_extract"),
]
PROJECT = "Loa"
# A fixed date keeps the template byte-identical when no string changed.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders in a string."""
    return set(_PLACEHOLDER.findall(text))


def extract(root: Path = ROOT) -> Catalog:
    """Every translatable string in the code, as a template catalog."""
    template = Catalog(project=PROJECT, domain=DOMAIN, creation_date=EPOCH, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root),
        METHOD_MAP,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        if dirs_ignored(filename):
            continue
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def dirs_ignored(filename: str) -> bool:
    """Skip files outside the packages (extract_from_dir walks the whole tree)."""
    return filename.startswith((".venv", "tests", "build"))


def render(catalog: Catalog) -> bytes:
    """A catalog as `.po` bytes, sorted and without line numbers (stable diffs)."""
    buffer = BytesIO()
    write_po(buffer, catalog, sort_output=True, include_lineno=False, width=99)
    return buffer.getvalue()


def read(path: Path) -> Catalog:
    """Read a `.po`/`.pot` without asking CLDR about its language."""
    with path.open("rb") as handle:
        return read_po(handle, locale=None, domain=DOMAIN)


@dataclass
class UpdateReport:
    """What `update` did, per language."""

    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


def write_template(locales_dir: Path, root: Path = ROOT) -> bool:
    """Write `messages.pot`; True when its content changed."""
    path = locales_dir / f"{DOMAIN}.pot"
    data = render(extract(root))
    if path.exists() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True


def update(locales_dir: Path, languages: list[str]) -> UpdateReport:
    """Bring every language's catalog in line with the template, creating missing ones."""
    template = read(locales_dir / f"{DOMAIN}.pot")
    report = UpdateReport()
    for code in languages:
        path = locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.exists():
            catalog = read(path)
        else:
            catalog = Catalog(project=PROJECT, domain=DOMAIN, creation_date=EPOCH, fuzzy=False)
            report.created.append(code)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()
        catalog.revision_date = EPOCH
        catalog.fuzzy = False
        data = render(catalog)
        data = _set_language(data, code)
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            if code not in report.created:
                report.changed.append(code)
    return report


def write_catalog(path: Path, catalog: Catalog, code: str) -> bool:
    """Write a language's catalog the way `update` does; True when the file changed."""
    data = _set_language(render(catalog), code)
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def compile_catalogs(locales_dir: Path, languages: list[str]) -> list[Path]:
    """Write `messages.mo` beside each language's `.po` (fuzzy entries left out); changed paths.

    Works for bdq, sed and jra too: Babel writes a `.mo` without asking CLDR. Their `.mo` has no
    Plural-Forms header; Loa uses no plural forms.
    """
    written = []
    for code in languages:
        po = locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po.exists():
            continue
        buffer = BytesIO()
        write_mo(buffer, read(po), use_fuzzy=False)
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != buffer.getvalue():
            mo.write_bytes(buffer.getvalue())
            written.append(mo)
    return written


def _set_language(data: bytes, code: str) -> bytes:
    # Catalog(locale=None) writes no Language header; gettext tools and translators want one.
    text = data.decode("utf-8")
    if '"Language: ' not in text:
        mime = '"MIME-Version: 1.0\\n"'
        text = text.replace(mime, f'"Language: {code}\\n"\n{mime}', 1)
    return text.encode("utf-8")
