"""Translator sheets: export, a translator's edits, import, and the bot speaking the result.

All sample translations are in the test-only language `xtest`, in a temporary copy of locales/
and content/: no Ba Na, Xơ Đăng or Gia Rai text is ever written.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app import Loa
from bot.content.topics import ContentLibrary, markup_of, split_paragraphs
from bot.core.chat import to_plain
from bot.core.clock import FrozenClock
from bot.core.i18n import LANGUAGE_NAME, Language
from bot.translations import catalogs
from bot.translations.sheets import SheetError, export, read_edits
from bot.translations.workflow import ImportReport, apply_edits, load_units
from tests.helpers import Chat, isolated_settings, tree_with_xtest
from tests.test_cli import run_loa

XTEST = Language("xtest", "Test language", None, "vi")
Rows = dict[str, dict[str, str]]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of locales/ and content/ with the test-only language xtest, untranslated."""
    return tree_with_xtest(tmp_path)


def env(tree: Path) -> dict[str, str]:
    """Environment pointing the `loa` command at the tree."""
    return {
        "LOCALES_DIR": str(tree / "locales"),
        "CONTENT_DIR": str(tree / "content"),
        "LANGUAGES": "vi,bdq,xtest",
    }


def edit_sheet(path: Path, out: Path, changes: Rows) -> None:
    """Do what a translator does: type into columns C (translation), D (status), E (note)."""
    book = load_workbook(path)
    columns = {"translation": 3, "status": 4, "note": 5, "key": 1}
    for title in ("UI", "Content"):
        for row in book[title].iter_rows(min_row=2):
            change = changes.get(str(row[0].value))
            if change is None:
                continue
            for field, value in change.items():
                row[columns[field] - 1].value = value
    book.save(out)


def snapshot(tree: Path) -> dict[str, str]:
    """A digest of every file under locales/ and content/."""
    return {
        str(path.relative_to(tree)): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in ("locales", "content")
        for path in sorted((tree / folder).rglob("*"))
        if path.is_file()
    }


def vi_paragraphs(tree: Path, topic_id: str) -> list[str]:
    """The Vietnamese paragraphs of a topic."""
    library = ContentLibrary.load(tree / "content")
    return split_paragraphs(library.source(topic_id).body)


def whole_topic(tree: Path, topic_id: str, marker: str) -> Rows:
    """Rows translating a whole topic (title and every paragraph) into marked test text."""
    rows: Rows = {f"{topic_id}#title": {"translation": f"{marker} title of {topic_id}"}}
    for n, vi in enumerate(vi_paragraphs(tree, topic_id), 1):
        rows[f"{topic_id}#p{n}"] = {"translation": mimic(vi, f"{marker} {topic_id} p{n}")}
    return rows


def mimic(vi: str, text: str) -> str:
    """Test text with the same Markdown shape as the Vietnamese paragraph."""
    lines = [line for line in vi.splitlines() if line.strip()]
    if vi.startswith("## "):
        return f"## {text}"
    bullets = [line for line in lines if line.strip().startswith("- ")]
    if bullets:
        return "\n".join(f"- {text} {i}" for i in range(len(bullets)))
    return text


def importer(tree: Path) -> Callable[..., ImportReport]:
    """Import a workbook in process (the CLI is tested separately)."""

    def run(path: Path, lang: str | None = None, dry_run: bool = False) -> ImportReport:
        code, edits = read_edits(path, lang)
        return apply_edits(tree / "locales", tree / "content", code, edits, dry_run=dry_run)

    return run


async def test_a_full_round_trip_reaches_villagers_string_by_string(
    tree: Path, database_url: str, tmp_media: Path, clock: FrozenClock, loa: Loa
) -> None:
    sheet = tree / "xtest.xlsx"
    exported = run_loa("i18n", "export", "--lang", "xtest", "--out", str(sheet), env=env(tree))
    assert exported.returncode == 0, exported.stderr
    assert "chưa dịch" in exported.stdout
    rows: Rows = {
        "Contacts": {"translation": "XT contacts"},
        "**Main menu.** Choose a number:": {"translation": "XT **menu**, pick:"},
        LANGUAGE_NAME: {"translation": "Testish"},
        "Cancelled. Nothing was sent.": {"note": "XT: not sure about this word"},
        **whole_topic(tree, "lien-he", "XT"),
        "gui-phan-anh#title": {"translation": "XT feedback title"},
        "gui-phan-anh#p1": {"translation": mimic(vi_paragraphs(tree, "gui-phan-anh")[0], "XT")},
    }
    edit_sheet(sheet, tree / "done.xlsx", rows)
    imported = run_loa("i18n", "import", str(tree / "done.xlsx"), env=env(tree))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"xtest: {len(rows)} changed, 0 refused" in imported.stdout
    assert "'Contacts': translation added" in imported.stdout
    assert "note changed" in imported.stdout
    po = (tree / "locales/xtest/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert 'msgstr "XT contacts"' in po
    assert "# loa-source: " in po
    assert (tree / "locales/xtest/translator-notes.yaml").exists()
    # A catalog written by import is still current, unfuzzy, with matching placeholders.
    assert not [
        m.id for m in catalogs.read(tree / "locales/xtest/LC_MESSAGES/messages.po") if m.fuzzy
    ]
    check = run_loa("content", "check", env=env(tree))
    assert check.returncode == 0, check.stderr

    settings = isolated_settings(
        database_url,
        tmp_media,
        locales_dir=tree / "locales",
        content_dir=tree / "content",
        languages=("vi", "bdq", "xtest"),
    )
    app = await Loa.start(settings, clock=clock)
    try:
        chat = Chat(app.engine, user="translator-friend")
        await chat.send("/start")
        labels = [c.label for c in chat.choices]
        assert "Test language (Testish)" in labels  # its own name, from its catalog
        assert "Tiếng Ba Na" in labels  # no verified name: Vietnamese only
        await chat.then("[Testish]", "Loa mới được dịch một phần sang tiếng này")
        await chat.press("Bỏ qua")  # the commune question of the first contact
        assert "XT menu, pick:" in chat.text
        labels = [c.label for c in chat.choices]
        assert "XT contacts" in labels  # translated
        assert "Hỏi một câu" in labels  # missing: Vietnamese, string by string
        await chat.then("[XT contacts]", "XT title of lien-he", "XT lien-he p2")
        assert "chưa được dịch" not in chat.text  # complete: no fallback note
        await chat.press("Xem thêm")
        assert re.search(r"Cập nhật: \d{2}/\d{2}/\d{4}", chat.text)  # Vietnamese date formats
        await chat.send("/ask gui phan anh")  # the page, as search finds it
        assert "XT feedback title" in chat.text
        assert "Một số phần của trang này chưa được dịch" in chat.text  # partly translated
        second = to_plain(markup_of(vi_paragraphs(tree, "gui-phan-anh")[1]))
        assert second[:30] in chat.text  # the untranslated paragraph, in Vietnamese
        await chat.send("/menu")
        await chat.press("Chương trình MTQG")
        assert "Trang này chưa được dịch sang tiếng của bạn" in chat.text  # nothing translated
    finally:
        await app.close()


def test_an_untouched_sheet_changes_nothing(tree: Path) -> None:
    run = importer(tree)
    export(tree / "locales", tree / "content", XTEST, tree / "first.xlsx")
    edit_sheet(
        tree / "first.xlsx",
        tree / "first.xlsx",
        {
            "Contacts": {"translation": "XT contacts", "note": "XT note"},
            **whole_topic(tree, "lien-he", "XT"),
            "ke-hoach#keywords": {"translation": "XT plan, XT words"},
        },
    )
    run(tree / "first.xlsx")
    before = snapshot(tree)
    sheet = tree / "again.xlsx"
    result = run_loa("i18n", "export", "--lang", "xtest", "--out", str(sheet), env=env(tree))
    assert result.returncode == 0, result.stderr
    result = run_loa("i18n", "import", str(sheet), env=env(tree))
    assert result.returncode == 0, result.stdout
    assert "xtest: 0 changed, 0 refused" in result.stdout
    assert snapshot(tree) == before
    # Importing the already-imported sheet again changes nothing either.
    report = run(tree / "first.xlsx")
    assert report.changed == [] and report.refused == []
    assert snapshot(tree) == before


def test_every_bad_row_is_refused_with_its_reason_and_good_rows_still_land(tree: Path) -> None:
    run = importer(tree)
    export(tree / "locales", tree / "content", XTEST, tree / "s.xlsx")
    edit_sheet(tree / "s.xlsx", tree / "s.xlsx", {"Contacts": {"translation": "XT contacts"}})
    run(tree / "s.xlsx")
    export(tree / "locales", tree / "content", XTEST, tree / "s.xlsx")
    paragraphs = vi_paragraphs(tree, "lien-he")
    bullets = next(n for n, p in enumerate(paragraphs, 1) if p.startswith("- "))
    heading = next(n for n, p in enumerate(paragraphs, 1) if p.startswith("## "))
    plain = next(n for n, p in enumerate(paragraphs, 1) if p[0].isalpha())
    command_msgid = "I don't know the command /{command}. Send /help to see what I can do."
    bad: Rows = {
        command_msgid: {"translation": "XT no such /{cmd}"},
        "Change language": {"translation": "XT {oops"},
        "Ask a question": {"translation": "x" * 2001},
        "Contacts": {"translation": ""},
        "**Main menu.** Choose a number:": {"translation": "XT **menu, pick:"},
        "this help": {"translation": "XT help", "status": "finished?"},
        f"lien-he#p{bullets}": {"translation": "XT no bullets here"},
        f"lien-he#p{heading}": {"translation": "XT no longer a heading"},
        f"lien-he#p{plain}": {"translation": "XT one\n\nXT two"},
        "lien-he#title": {"translation": "XT two\nlines"},
        "ke-hoach#p1": {"translation": "y" * 1801},
        "Was this page helpful?": {"translation": "XT helpful?"},  # good
    }
    edit_sheet(tree / "s.xlsx", tree / "s.xlsx", bad)
    book = load_workbook(tree / "s.xlsx")
    book["UI"].append(["no such msgid", "", "XT", "", "", "", "abc", "", ""])
    book["UI"].append(["Was this page helpful?", "", "XT twice", "", "", "", "abc", "", ""])
    book.save(tree / "s.xlsx")
    result = run_loa("i18n", "import", str(tree / "s.xlsx"), env=env(tree))
    assert result.returncode == 1
    out = result.stdout
    assert "xtest: 1 changed, 13 refused" in out, out
    reasons = {
        command_msgid: "placeholders differ from the original (keep exactly: {command})",
        "Change language": "unbalanced { or }",
        "Ask a question": "2001 characters; at most 2000",
        "Contacts": "empty: this would erase the existing translation (write 'xóa'",
        "**Main menu.** Choose a number:": "unbalanced **",
        "this help": "unknown status 'finished?'",
        f"lien-he#p{bullets}": "0 bullet lines",
        f"lien-he#p{heading}": "a heading (## at the start) must stay a heading",
        f"lien-he#p{plain}": "one paragraph only",
        "lien-he#title": "a title is one line",
        "ke-hoach#p1": "1801 characters; a paragraph has at most 1800",
        "no such msgid": "unknown key",
        "Was this page helpful?": "the same key appears twice",
    }
    refused = [line for line in out.splitlines() if line.strip().startswith("refused")]
    for key, reason in reasons.items():
        assert any(repr(key) in line and reason in line for line in refused), (key, out)
    units = {u.key: u for u in load_units(tree / "locales", tree / "content", "xtest")}
    assert units["Was this page helpful?"].translation == "XT helpful?"
    assert units["Contacts"].translation == "XT contacts"  # not erased
    assert units[command_msgid].translation == ""
    assert not (tree / "content" / "xtest" / "lien-he.md").exists()


def test_a_sheet_of_another_language_is_refused_whole(tree: Path) -> None:
    export(tree / "locales", tree / "content", XTEST, tree / "x.xlsx")
    with pytest.raises(SheetError, match="for language 'xtest', not 'bdq'"):
        read_edits(tree / "x.xlsx", "bdq")
    result = run_loa("i18n", "import", str(tree / "x.xlsx"), "--lang", "bdq", env=env(tree))
    assert result.returncode == 1
    assert "not 'bdq'" in result.stderr
    # A tab pasted in from another language's workbook is caught by its column header.
    book = load_workbook(tree / "x.xlsx")
    book["UI"]["C1"] = "Bản dịch (bdq)"
    book.save(tree / "x.xlsx")
    with pytest.raises(SheetError, match="column C is not the xtest translation"):
        read_edits(tree / "x.xlsx")
    (tree / "junk.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(SheetError, match="not an Excel workbook"):
        read_edits(tree / "junk.xlsx")
    result = run_loa(
        "i18n", "export", "--lang", "vi", "--out", str(tree / "v.xlsx"), env=env(tree)
    )
    assert result.returncode == 2
    assert "not a language to translate into" in result.stderr


def test_deleting_takes_the_status_word(tree: Path) -> None:
    run = importer(tree)
    export(tree / "locales", tree / "content", XTEST, tree / "s.xlsx")
    edit_sheet(tree / "s.xlsx", tree / "s.xlsx", whole_topic(tree, "lien-he", "XT"))
    run(tree / "s.xlsx")
    assert (tree / "content/xtest/lien-he.md").exists()
    export(tree / "locales", tree / "content", XTEST, tree / "s.xlsx")
    deletions: Rows = {key: {"status": "xóa"} for key in whole_topic(tree, "lien-he", "XT")}
    deletions["lien-he#p1"] = {"status": "delete", "translation": ""}
    edit_sheet(tree / "s.xlsx", tree / "s.xlsx", deletions)
    report = run(tree / "s.xlsx")
    assert report.refused == []
    assert not (tree / "content/xtest/lien-he.md").exists()  # nothing left: no file


def test_stale_translations_are_flagged_shown_in_vietnamese_and_confirmable(tree: Path) -> None:
    run = importer(tree)
    export(tree / "locales", tree / "content", XTEST, tree / "first.xlsx")
    rows = {**whole_topic(tree, "lien-he", "XT"), "Contacts": {"translation": "XT contacts"}}
    edit_sheet(tree / "first.xlsx", tree / "first.xlsx", rows)
    run(tree / "first.xlsx")
    export(tree / "locales", tree / "content", XTEST, tree / "old.xlsx")
    # The Vietnamese of paragraph 2 and of a UI string change after translation.
    vi_file = tree / "content/vi/lien-he.md"
    second = vi_paragraphs(tree, "lien-he")[1]
    vi_file.write_text(
        vi_file.read_text(encoding="utf-8").replace(second, second + " Thêm một câu mới."),
        encoding="utf-8",
    )
    vi_po = tree / "locales/vi/LC_MESSAGES/messages.po"
    vi_po.write_text(
        vi_po.read_text(encoding="utf-8").replace('msgstr "Liên hệ"', 'msgstr "Liên hệ, hỏi"'),
        encoding="utf-8",
    )
    units = {u.key: u for u in load_units(tree / "locales", tree / "content", "xtest")}
    assert units["lien-he#p2"].status.value == "cần xem lại"
    assert units["Contacts"].status.value == "cần xem lại"
    assert units["lien-he#p1"].status.value == "đã dịch"
    library = ContentLibrary.load(tree / "content")
    shown = library.get("lien-he", "xtest")
    assert shown is not None and shown.partial
    assert "Thêm một câu mới." in shown.topic.body  # current Vietnamese, not the old text
    assert "XT lien-he p1" in shown.topic.body
    assert "lien-he" not in library.translated("xtest")
    # An edit made on the old sheet cannot land on the changed paragraph.
    edit_sheet(tree / "old.xlsx", tree / "old.xlsx", {"lien-he#p2": {"translation": "- XT a"}})
    report = run(tree / "old.xlsx")
    assert "the Vietnamese paragraph changed since this sheet was exported" in str(report.refused)
    # A fresh sheet shows it as stale; the translator checks it and confirms it.
    export(tree / "locales", tree / "content", XTEST, tree / "new.xlsx")
    book = load_workbook(tree / "new.xlsx")
    statuses = {row[0].value: row[3].value for row in book["Content"].iter_rows(min_row=2)}
    assert statuses["lien-he#p2"] == "cần xem lại"
    edit_sheet(
        tree / "new.xlsx",
        tree / "new.xlsx",
        {"lien-he#p2": {"status": "đã dịch"}, "Contacts": {"status": "translated"}},
    )
    report = run(tree / "new.xlsx")
    assert [o.what for o in report.changed] == [
        "confirmed for the new Vietnamese",
        "confirmed for the new Vietnamese",
    ]
    assert "lien-he" in ContentLibrary.load(tree / "content").translated("xtest")


def test_a_translation_stored_by_someone_else_since_the_export_is_kept(tree: Path) -> None:
    run = importer(tree)
    export(tree / "locales", tree / "content", XTEST, tree / "a.xlsx")
    shutil.copy(tree / "a.xlsx", tree / "b.xlsx")
    edit_sheet(tree / "a.xlsx", tree / "a.xlsx", {"Contacts": {"translation": "XT by A"}})
    edit_sheet(tree / "b.xlsx", tree / "b.xlsx", {"Contacts": {"translation": "XT by B"}})
    run(tree / "a.xlsx")
    report = run(tree / "b.xlsx")
    assert "changed by someone else since this sheet was exported" in str(report.refused)
    units = {u.key: u for u in load_units(tree / "locales", tree / "content", "xtest")}
    assert units["Contacts"].translation == "XT by A"


def test_paragraph_rows_follow_their_vietnamese_when_paragraphs_shift(tree: Path) -> None:
    run = importer(tree)
    export(tree / "locales", tree / "content", XTEST, tree / "s.xlsx")
    paragraphs = vi_paragraphs(tree, "lien-he")
    last = len(paragraphs)
    edit_sheet(tree / "s.xlsx", tree / "s.xlsx", {f"lien-he#p{last}": {"translation": "XT end"}})
    vi_file = tree / "content/vi/lien-he.md"
    text = vi_file.read_text(encoding="utf-8")
    vi_file.write_text(text.replace(paragraphs[0], "Một đoạn mới.\n\n" + paragraphs[0]), "utf-8")
    report = run(tree / "s.xlsx")
    assert [o.what for o in report.changed] == [
        f"translation added (the Vietnamese paragraph is now p{last + 1})"
    ]
    units = {u.key: u for u in load_units(tree / "locales", tree / "content", "xtest")}
    assert units[f"lien-he#p{last + 1}"].translation == "XT end"
    assert units[f"lien-he#p{last + 1}"].status.value == "đã dịch"


def test_dry_run_reports_without_writing(tree: Path) -> None:
    export(tree / "locales", tree / "content", XTEST, tree / "s.xlsx")
    edit_sheet(tree / "s.xlsx", tree / "s.xlsx", {"Contacts": {"translation": "XT contacts"}})
    before = snapshot(tree)
    result = run_loa("i18n", "import", str(tree / "s.xlsx"), "--dry-run", env=env(tree))
    assert result.returncode == 0
    assert "1 changed" in result.stdout and "dry run" in result.stdout
    assert snapshot(tree) == before


def test_the_sheet_guides_the_translator_in_vietnamese(tree: Path) -> None:
    export(tree / "locales", tree / "content", XTEST, tree / "s.xlsx")
    book = load_workbook(tree / "s.xlsx")
    assert book.sheetnames[:3] == ["README", "UI", "Content"]
    assert book["_loa"].sheet_state == "hidden"
    guide = "\n".join(str(row[0].value or "") for row in book["README"].iter_rows())
    assert "Test language" in guide and "Không dùng máy dịch" in guide
    ui = {row[0].value: row for row in book["UI"].iter_rows(min_row=2)}
    command = ui["I don't know the command /{command}. Send /help to see what I can do."]
    assert command[1].value == "Tôi không biết lệnh /{command}. Gửi /help để xem tôi làm được gì."
    assert "Giữ nguyên, không dịch: {command}" in str(command[5].value)
    assert "Viết tên ngôn ngữ của bạn" in str(ui[LANGUAGE_NAME][5].value)
    assert book["UI"].column_dimensions["G"].hidden
    content = [row[0].value for row in book["Content"].iter_rows(min_row=2)]
    first = ContentLibrary.load(tree / "content").ids[0]  # menu order
    assert content[:3] == [f"{first}#title", f"{first}#keywords", f"{first}#p1"]


def test_a_hand_edit_that_breaks_a_translation_file_is_reported(tree: Path) -> None:
    run = importer(tree)
    export(tree / "locales", tree / "content", XTEST, tree / "s.xlsx")
    edit_sheet(tree / "s.xlsx", tree / "s.xlsx", whole_topic(tree, "lien-he", "XT"))
    run(tree / "s.xlsx")
    path = tree / "content/xtest/lien-he.md"
    path.write_text(
        path.read_text(encoding="utf-8") + "\nXT a paragraph nobody mapped.\n", "utf-8"
    )
    result = run_loa("content", "check", env=env(tree))
    assert result.returncode == 1
    assert "source hashes in 'translation.paragraphs'" in result.stderr
