"""Languages: catalogs are complete and current, and every string falls back on its own.

Sample translations live in a test-only language, `xtest`: no Ba Na, Xơ Đăng or Gia Rai text
may be invented, in the repository or in its tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from bot import catalogs, i18n
from bot.app import Loa
from bot.clock import FrozenClock
from bot.config import ROOT, Settings
from bot.i18n import Catalogs, load_languages
from tests.helpers import Chat

LOCALES = ROOT / "locales"
LANGUAGES = ["vi", "bdq", "sed", "jra"]


def test_template_is_current_with_the_code() -> None:
    fresh = {m.id for m in catalogs.extract() if m.id}
    stored = {m.id for m in catalogs.read(LOCALES / "messages.pot") if m.id}
    assert fresh == stored, "run: loa i18n extract && loa i18n update"


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_catalog_matches_the_template(code: str) -> None:
    template = {m.id for m in catalogs.read(LOCALES / "messages.pot") if m.id}
    catalog = catalogs.read(LOCALES / code / "LC_MESSAGES" / "messages.po")
    assert {m.id for m in catalog if m.id} == template, f"{code} is stale: run loa i18n update"
    assert not [m.id for m in catalog if m.id and m.fuzzy], f"{code} has fuzzy entries"
    for message in catalog:
        if message.id and message.string:
            assert catalogs.placeholders(str(message.id)) == catalogs.placeholders(
                str(message.string)
            ), f"{code}: placeholders differ in {message.id!r}"


def test_vietnamese_catalog_is_complete() -> None:
    catalog = catalogs.read(LOCALES / "vi" / "LC_MESSAGES" / "messages.po")
    assert [m.id for m in catalog if m.id and not m.string] == []


def test_minority_languages_hold_no_invented_translations() -> None:
    for code in ("bdq", "sed", "jra"):
        catalog = catalogs.read(LOCALES / code / "LC_MESSAGES" / "messages.po")
        assert [m.id for m in catalog if m.id and m.string] == [], (
            f"{code}: translations must come from the district's translators (loa i18n import)"
        )


def test_languages_without_cldr_data_format_like_vietnamese() -> None:
    loaded = Catalogs(LOCALES, load_languages(LOCALES, ("vi", "bdq", "sed", "jra")))
    from datetime import date

    for code in ("bdq", "sed", "jra"):
        with i18n.use(loaded, code):
            assert i18n.format_number(1234567.5) == "1.234.567,5"
            assert i18n.format_day(date(2026, 6, 10)) == "10/06/2026"
            assert i18n.gettext("Choose your language:") == "Chọn ngôn ngữ của bạn:"


@pytest.fixture
def xtest_tree(tmp_path: Path) -> tuple[Path, Path]:
    """Locales and content with a test-only language holding a few translations."""
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    (locales / "languages.yaml").write_text(
        (LOCALES / "languages.yaml").read_text(encoding="utf-8")
        + '- code: xtest\n  name: "Test language"\n  native: "Testish"\n  formats: vi\n',
        encoding="utf-8",
    )
    catalog = Catalog(locale=None, domain="messages")
    catalog.add("**Main menu.** Choose a number:", "XT main menu, pick:")
    catalog.add("Contacts", "XT contacts")
    (locales / "xtest" / "LC_MESSAGES").mkdir(parents=True)
    (locales / "xtest" / "LC_MESSAGES" / "messages.po").write_bytes(catalogs.render(catalog))
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    (content / "xtest").mkdir()
    source = (content / "vi" / "lien-he.md").read_text(encoding="utf-8")
    head, _, _body = source.partition("\n---\n")
    (content / "xtest" / "lien-he.md").write_text(
        head.replace("title:", "title: XT", 1) + "\n---\nXT body of the contacts page.\n",
        encoding="utf-8",
    )
    return locales, content


async def test_strings_and_topics_fall_back_one_by_one(
    xtest_tree: tuple[Path, Path],
    database_url: str,
    tmp_media: Path,
    clock: FrozenClock,
    loa: Loa,
) -> None:
    locales, content = xtest_tree
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        media_dir=tmp_media,  # type: ignore[call-arg]
        locales_dir=locales,
        content_dir=content,
        languages=("vi", "bdq", "xtest"),
    )
    app = await Loa.start(settings, clock=clock)
    try:
        chat = Chat(app.engine, user="tester")
        await chat.send("/start")
        assert "Test language (Testish)" in [c.label for c in chat.choices]
        await chat.press("Testish")
        assert "XT main menu, pick:" in chat.text
        labels = [c.label for c in chat.choices]
        assert "XT contacts" in labels  # translated
        assert "Hỏi một câu" in labels  # not translated: Vietnamese
        assert "chưa được dịch" in chat.text  # the note about gaps (untranslated: in Vietnamese)
        await chat.press("XT contacts")
        assert "XT body of the contacts page." in chat.text
        assert "Trang này chưa được dịch" not in chat.text
        await chat.send("/menu")
        await chat.press("Chương trình MTQG")
        assert "Trang này chưa được dịch sang tiếng của bạn" in chat.text
        assert "1719" in chat.text
    finally:
        await app.close()


async def test_a_minority_language_user_gets_everything_in_vietnamese(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("Xơ Đăng")
    assert "Bạn đã chọn Tiếng Xơ Đăng" in chat.text
    assert "Một số phần chưa được dịch" in chat.text
    await chat.press("Liên hệ")
    assert "Trang này chưa được dịch sang tiếng của bạn" in chat.text
