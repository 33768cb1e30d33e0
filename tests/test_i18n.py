"""Languages: catalogs are complete and current, and every string falls back on its own.

Sample translations live in a test-only language, `xtest`: no Ba Na, Xơ Đăng or Gia Rai text
may be invented, in the repository or in its tests.
"""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import pytest
import yaml
from babel.messages.catalog import Catalog
from sqlalchemy import select

from bot.app import Loa
from bot.core import i18n
from bot.core.chat import Incoming, Kind
from bot.core.clock import FrozenClock
from bot.core.config import ROOT, Settings
from bot.core.i18n import Catalogs, load_languages
from bot.translations import catalogs
from db.models import Conversation, User
from tests.helpers import Chat, fresh_update_id, isolated_settings
from tests.test_cli import run_loa

LOCALES = ROOT / "locales"
LANGUAGES = ["vi", "bdq", "sed", "jra"]


def test_template_is_current_with_the_code() -> None:
    fresh = {m.id for m in catalogs.extract() if m.id}
    stored = {m.id for m in catalogs.read(LOCALES / "messages.pot") if m.id}
    assert fresh == stored, "run: loa i18n extract && loa i18n update"


def catalog_problems(locales: Path, code: str) -> list[str]:
    """What is wrong with a language's catalog: stale, fuzzy, placeholders, unformattable."""
    template = {m.id for m in catalogs.read(locales / "messages.pot") if m.id}
    catalog = catalogs.read(locales / code / "LC_MESSAGES" / "messages.po")
    found = []
    if {m.id for m in catalog if m.id} != template:
        found.append(f"{code} is stale: run loa i18n update")
    found.extend(f"{code}: fuzzy entry {m.id!r}" for m in catalog if m.id and m.fuzzy)
    for message in catalog:
        if not message.id or not message.string:
            continue
        msgid, text = str(message.id), str(message.string)
        if catalogs.placeholders(msgid) != catalogs.placeholders(text):
            found.append(f"{code}: placeholders differ in {msgid!r}")
            continue
        try:
            text.format(**dict.fromkeys(catalogs.placeholders(msgid), "x"))
        except (KeyError, IndexError, ValueError):
            found.append(f"{code}: cannot be formatted: {msgid!r}")
    return found


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_catalog_matches_the_template(code: str) -> None:
    assert catalog_problems(LOCALES, code) == []


def test_stale_and_bad_catalogs_are_caught(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    catalogs.update(locales, ["xtest"])
    assert catalog_problems(locales, "xtest") == []
    path = locales / "xtest" / "LC_MESSAGES" / "messages.po"
    catalog = catalogs.read(path)
    command = "I don't know the command /{command}. Send /help to see what I can do."
    catalog[command].string = "XT /{cmd}"
    catalog["Contacts"].string = "XT contacts"
    catalog["Contacts"].flags.add("fuzzy")
    catalog["Change language"].string = "XT {"
    del catalog["Ask a question"]
    catalogs.write_catalog(path, catalog, "xtest")
    found = catalog_problems(locales, "xtest")
    assert found == [
        "xtest is stale: run loa i18n update",
        "xtest: fuzzy entry 'Contacts'",
        "xtest: cannot be formatted: 'Change language'",
        f"xtest: placeholders differ in {command!r}",
    ]


def test_compile_writes_mo_files_that_gettext_reads_for_every_language(tmp_path: Path) -> None:
    # .mo files are git-ignored (Loa reads the .po itself): compile must work, including for
    # languages without CLDR data, and give exactly the catalog's translations.
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    catalogs.update(locales, ["xtest"])
    path = locales / "xtest" / "LC_MESSAGES" / "messages.po"
    catalog = catalogs.read(path)
    catalog["Contacts"].string = "XT contacts"
    catalog["Ask a question"].string = "XT fuzzy"
    catalog["Ask a question"].flags.add("fuzzy")
    catalogs.write_catalog(path, catalog, "xtest")
    codes = [*LANGUAGES, "xtest"]
    env = {"LOCALES_DIR": str(locales), "LANGUAGES": ",".join(codes)}
    result = run_loa("i18n", "compile", env=env)
    assert result.returncode == 0, result.stderr
    assert "bdq/LC_MESSAGES/messages.mo: compiled" in result.stdout
    for code in codes:
        mo = locales / code / "LC_MESSAGES" / "messages.mo"
        with mo.open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)
        assert compiled.info()["language"] == code
        for message in catalogs.read(mo.with_suffix(".po")):
            if message.id and message.string and not message.fuzzy:
                assert compiled.gettext(str(message.id)) == message.string
    with (locales / "xtest/LC_MESSAGES/messages.mo").open("rb") as handle:
        xtest = gettext.GNUTranslations(handle)
    assert xtest.gettext("Contacts") == "XT contacts"
    assert xtest.gettext("Ask a question") == "Ask a question"  # fuzzy: left out
    again = run_loa("i18n", "compile", env=env)
    assert again.stdout.strip() == "all .mo files current"


def test_vietnamese_catalog_is_complete() -> None:
    catalog = catalogs.read(LOCALES / "vi" / "LC_MESSAGES" / "messages.po")
    assert [m.id for m in catalog if m.id and not m.string] == []


def test_minority_languages_hold_no_invented_translations() -> None:
    names = {
        item["code"]: item
        for item in yaml.safe_load((LOCALES / "languages.yaml").read_text(encoding="utf-8"))
    }
    for code in ("bdq", "sed", "jra"):
        catalog = catalogs.read(LOCALES / code / "LC_MESSAGES" / "messages.po")
        assert [m.id for m in catalog if m.id and m.string] == [], (
            f"{code}: translations must come from the district's translators (loa i18n import)"
        )
        assert names[code]["native"] is None, f"{code}: a native name only from translators"
        own = ROOT / "content" / code
        assert not own.exists() or not [p.name for p in own.iterdir()], (
            f"content/{code}: topics and recordings come from the translators"
        )
        assert not (LOCALES / code / "translator-notes.yaml").exists()


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


def xtest_settings(
    tree: tuple[Path, Path], database_url: str, media: Path, **more: object
) -> Settings:
    """Settings over the test-language tree, offering vi, bdq and xtest."""
    locales, content = tree
    return isolated_settings(
        database_url,
        media,
        locales_dir=locales,
        content_dir=content,
        languages=("vi", "bdq", "xtest"),
        **more,
    )


async def test_strings_and_topics_fall_back_one_by_one(
    xtest_tree: tuple[Path, Path],
    database_url: str,
    tmp_media: Path,
    clock: FrozenClock,
    loa: Loa,
) -> None:
    app = await Loa.start(xtest_settings(xtest_tree, database_url, tmp_media), clock=clock)
    try:
        chat = Chat(app.engine, user="tester")
        await chat.send("/start")
        assert "Test language (Testish)" in [c.label for c in chat.choices]
        await chat.then("[Testish]", "Loa mới được dịch một phần sang tiếng này: 1 trên 31 bài")
        await chat.press("Bỏ qua")  # the commune question of the first contact
        assert "XT main menu, pick:" in chat.text
        labels = [c.label for c in chat.choices]
        assert "XT contacts" in labels  # translated
        assert "Hỏi một câu" in labels  # not translated: Vietnamese
        await chat.then("[XT contacts]", "XT body of the contacts page.")
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
    assert "Loa chưa được dịch sang tiếng này: 0 trên 31 bài và 0 trên" in chat.text
    assert "Dữ liệu của bạn" in chat.text  # the privacy notice, in Vietnamese until translated
    await chat.press("Bỏ qua")
    await chat.then("[Liên hệ]", "Trang này chưa được dịch sang tiếng của bạn")


async def test_language_can_be_switched_anywhere_and_stays_chosen(
    chat: Chat, loa: Loa, settings: Settings, clock: FrozenClock
) -> None:
    await chat.script("/start", "[Tiếng Việt]", "[Bỏ qua]")
    await chat.press("Hỏi một câu")  # now in the middle of the question step
    await chat.then("/ngonngu", "Chọn ngôn ngữ của bạn:")
    await chat.send(chat.number("Gia Rai"))  # typed, as on Zalo
    assert "Bạn đã chọn Tiếng Gia Rai" in chat.text
    async with loa.db.session() as session:
        user = (
            await session.execute(select(User).where(User.external_id == chat.user))
        ).scalar_one()
        assert user.language == "jra"
        step = await session.scalar(
            select(Conversation.step).where(Conversation.user_id == user.id)
        )
        assert step is None  # the question step was left
    # A restart (or another worker process) keeps the choice.
    await loa.close()
    again = await Loa.start(settings, clock=clock)
    try:
        other = Chat(again.engine, user=chat.user)
        await other.send("/menu")
        await other.then("[Liên hệ]", "Trang này chưa được dịch sang tiếng của bạn")
        await other.press("Xem thêm")
        assert re.search(r"Cập nhật: \d{2}/\d{2}/\d{4}", other.text)  # Vietnamese formats for jra
        await other.send("/menu")
        await other.press("Đổi ngôn ngữ")  # the menu line works as well as /language
        await other.then("[Tiếng Việt]", "Bạn đã chọn Tiếng Việt")
        assert "chưa được dịch" not in other.text
    finally:
        await again.close()


@pytest.mark.usefixtures("loa")  # the test database, ready and empty
async def test_languages_below_the_minimum_coverage_are_not_offered(
    xtest_tree: tuple[Path, Path], database_url: str, tmp_media: Path, clock: FrozenClock
) -> None:
    locales, _content = xtest_tree
    # xtest: every UI string translated (a copy of the Vietnamese will do), one topic
    shutil.copy(
        LOCALES / "vi" / "LC_MESSAGES" / "messages.po",
        locales / "xtest" / "LC_MESSAGES" / "messages.po",
    )
    settings = xtest_settings(xtest_tree, database_url, tmp_media, language_min_coverage=50)
    app = await Loa.start(settings, clock=clock)
    try:
        chat = Chat(app.engine, user="chooser")
        await chat.send("/start")
        assert [c.label for c in chat.choices] == ["Tiếng Việt", "Test language (Testish)"]
        hidden = chat.choice("Tiếng Việt").replace(":vi", ":bdq")  # an old Ba Na button
        await chat.then("[Testish]", "Loa mới được dịch một phần sang tiếng này: 1 trên 31 bài và")
        await chat.deliver(
            Incoming("test", "chooser", fresh_update_id(), Kind.choice, choice=hidden)
        )
        assert [c.label for c in chat.choices] == ["Tiếng Việt", "Test language (Testish)"]
    finally:
        await app.close()
