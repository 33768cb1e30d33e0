"""UI strings through gettext, read straight from the `.po` catalogs.

Each string falls back on its own: user's language → Vietnamese → the English msgid. The
catalogs are read with Babel at start (no compiled `.mo` to go stale), skipping fuzzy and empty
entries, so a half-translated language shows what it has and Vietnamese for the rest. Ba Na
(bdq), Xơ Đăng (sed) and Gia Rai (jra) have no CLDR data: dates and numbers use `vi` rules.

A language's name in itself comes from `locales/languages.yaml` (`native`) or, where that is
empty, from its own catalog's translation of `LANGUAGE_NAME`, which only its translators write
(through the translator sheet): a name is never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import yaml
from babel.dates import format_date as babel_format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.core.config import StartupError

SOURCE_LANGUAGE = "vi"
DOMAIN = "messages"
# The msgid whose translation is a language's own name ("Tiếng Việt" in vi). Marked for
# extraction below, after N_ exists.
LANGUAGE_NAME = "Name of this language, written in this language"


@dataclass(frozen=True, slots=True)
class Language:
    """A language Loa offers."""

    code: str
    name: str
    native: str | None
    formats: str

    @property
    def label(self) -> str:
        """The menu label: the Vietnamese name, and the native one where it is verified."""
        if self.native and self.native != self.name:
            return f"{self.name} ({self.native})"
        return self.name


def load_languages(locales_dir: Path, codes: tuple[str, ...]) -> tuple[Language, ...]:
    """The configured languages with their names from `locales/languages.yaml`, in config order."""
    raw = yaml.safe_load((locales_dir / "languages.yaml").read_text(encoding="utf-8")) or []
    known = {
        str(item["code"]): Language(
            code=str(item["code"]),
            name=str(item["name"]),
            native=str(item["native"]) if item.get("native") else None,
            formats=str(item.get("formats") or SOURCE_LANGUAGE),
        )
        for item in raw
    }
    # A code without an entry would show as a bare "xx" in the language menu: refuse it.
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise StartupError(
            f"LANGUAGES names unknown language codes {', '.join(unknown)}: use codes listed in "
            f"{locales_dir / 'languages.yaml'} ({', '.join(known)}), or add the language there"
        )
    return tuple(known[code] for code in codes)


class Catalogs:
    """Every language's translations, with per-string fallback to Vietnamese."""

    def __init__(self, locales_dir: Path, languages: tuple[Language, ...]) -> None:
        self._messages: dict[str, dict[str, str]] = {}
        for language in languages:
            self._messages[language.code] = _read_catalog(locales_dir, language.code)
        self._messages.setdefault(SOURCE_LANGUAGE, _read_catalog(locales_dir, SOURCE_LANGUAGE))
        self.languages = tuple(self._named(language) for language in languages)
        self._by_code = {language.code: language for language in self.languages}

    def _named(self, language: Language) -> Language:
        """The language with its own name from its catalog, when languages.yaml has none."""
        own_name = self._messages[language.code].get(LANGUAGE_NAME, "").strip()
        if language.native or not own_name or language.code == SOURCE_LANGUAGE:
            return language
        return replace(language, native=own_name)

    def language(self, code: str) -> Language:
        """The language with this code (unknown codes are treated as Vietnamese formats)."""
        return self._by_code.get(code, Language(code, code, None, SOURCE_LANGUAGE))

    def translate(self, msgid: str, code: str) -> str:
        """The best available text for `msgid` in language `code`."""
        for lang in (code, SOURCE_LANGUAGE):
            text = self._messages.get(lang, {}).get(msgid)
            if text:
                return text
        return msgid

    def has(self, msgid: str, code: str) -> bool:
        """Whether `code` has its own translation of `msgid`."""
        return bool(self._messages.get(code, {}).get(msgid))

    def coverage(self, code: str) -> tuple[int, int]:
        """(translated, total) UI strings of a language, against the Vietnamese catalog."""
        total = self._messages.get(SOURCE_LANGUAGE, {})
        own = self._messages.get(code, {})
        return sum(1 for msgid in total if own.get(msgid)), len(total)


def _read_catalog(locales_dir: Path, code: str) -> dict[str, str]:
    path = locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        # Babel's reader would parse the locale code; bdq/sed/jra are unknown to CLDR.
        catalog = read_po(handle, locale=None, domain=DOMAIN)
    messages: dict[str, str] = {}
    for message in catalog:
        if not message.id or message.fuzzy or not isinstance(message.id, str):
            continue
        if isinstance(message.string, str) and message.string:
            messages[message.id] = message.string
    return messages


@dataclass(frozen=True, slots=True)
class _Active:
    catalogs: Catalogs
    code: str


_active: ContextVar[_Active | None] = ContextVar("loa_i18n", default=None)


@contextmanager
def use(catalogs: Catalogs, code: str) -> Iterator[None]:
    """Speak `code` in this context (each event and job sets its own)."""
    token = _active.set(_Active(catalogs, code))
    try:
        yield
    finally:
        _active.reset(token)


def gettext(msgid: str) -> str:
    """Translate `msgid` into the current context's language."""
    active = _active.get()
    if active is None:
        return msgid
    return active.catalogs.translate(msgid, active.code)


_ = gettext


def N_(msgid: str) -> str:  # noqa: N802  (the gettext convention for "mark only")
    """Mark a string for extraction without translating it now."""
    return msgid


# Translators: write your language's name as your community writes it (vi: "Tiếng Việt"). The
# language menu shows it beside the Vietnamese name.
N_("Name of this language, written in this language")


def current_language() -> str:
    """The language code of the current context."""
    active = _active.get()
    return active.code if active is not None else SOURCE_LANGUAGE


def has_translation(msgid: str) -> bool:
    """Whether the current language has its own text for `msgid` (no fallback used)."""
    active = _active.get()
    if active is None:
        return False
    return active.code == SOURCE_LANGUAGE or active.catalogs.has(msgid, active.code)


def _formats() -> str:
    active = _active.get()
    if active is None:
        return SOURCE_LANGUAGE
    return active.catalogs.language(active.code).formats


def format_number(value: float | int) -> str:
    """A number in the current language's formats (Vietnamese for bdq, sed, jra)."""
    return format_decimal(value, locale=_formats())


def format_day(value: date | datetime) -> str:
    """A date as users in Vietnam write it: 25/11/2026."""
    return babel_format_date(value, format="dd/MM/yyyy", locale=_formats())
