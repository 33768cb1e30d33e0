"""`loa i18n coverage`: the figures equal what is on disk, for every configured language."""

from __future__ import annotations

import json
from pathlib import Path

from babel.messages.catalog import Catalog

from bot.content.topics import source_hash, split_paragraphs
from bot.core.config import ROOT
from bot.translations import catalogs
from bot.translations.workflow import coverage
from tests import audio_samples as samples
from tests.helpers import tree_with_xtest
from tests.test_cli import run_loa


def po_translated(path: Path) -> int:
    """Entries with a translation, counted straight from a `.po` file."""
    return sum(1 for m in catalogs.read(path) if m.id and m.string and not m.fuzzy)


def build_tree(root: Path) -> Path:
    """xtest with 3 UI strings, one complete topic, one partial, one stale, two recordings."""
    tree_with_xtest(root)
    po = root / "locales/xtest/LC_MESSAGES/messages.po"
    catalog = catalogs.read(po)
    for msgid, text in [("Contacts", "XT contacts"), ("Ask a question", "XT ask")]:
        catalog[msgid].string = text
    catalog["Change language"].string = "XT language"
    catalog["Change language"].user_comments = ["loa-source: 000000000000"]  # stale
    catalogs.write_catalog(po, catalog, "xtest")
    content = root / "content"
    # A hand-written complete translation (no source hashes: taken as complete).
    source = (content / "vi" / "lien-he.md").read_text(encoding="utf-8")
    head = source.partition("\n---\n")[0]
    (content / "xtest").mkdir()
    (content / "xtest" / "lien-he.md").write_text(head + "\n---\nXT body.\n", encoding="utf-8")
    # Partial: title and first paragraph translated from the current Vietnamese.
    vi = (content / "vi" / "gui-phan-anh.md").read_text(encoding="utf-8")
    first = split_paragraphs(vi.partition("\n---\n")[2])[0]
    title = "Gửi câu hỏi, ý kiến, phản ánh"
    (content / "xtest" / "gui-phan-anh.md").write_text(
        "---\nid: gui-phan-anh\ntitle: XT feedback\nparent: null\ntranslation:\n"
        f"  title: '{source_hash(title)}'\n  paragraphs: ['{source_hash(first)}']\n---\n"
        "XT first paragraph.\n",
        encoding="utf-8",
    )
    # Stale only: its one paragraph was translated from Vietnamese that has changed since.
    (content / "xtest" / "ke-hoach.md").write_text(
        "---\nid: ke-hoach\ntitle: XT plan\nparent: null\ntranslation:\n"
        "  title: '000000000000'\n  paragraphs: ['000000000000']\n---\nXT old text.\n",
        encoding="utf-8",
    )
    samples.write(content / "xtest" / "lien-he.ogg", samples.ogg_opus(10))
    samples.write(content / "xtest" / "lien-he.m4a", samples.m4a(10))  # same recording
    samples.write(content / "xtest" / "ke-hoach.aac", samples.adts(3))
    samples.write(content / "vi" / "du-an-1.ogg", samples.ogg_opus(10))
    return root


def test_coverage_equals_what_is_on_disk(tmp_path: Path) -> None:
    root = build_tree(tmp_path)
    locales, content = root / "locales", root / "content"
    found = {c.code: c for c in coverage(locales, content, ("vi", "bdq", "xtest"))}
    ui_total = sum(1 for m in catalogs.read(locales / "messages.pot") if m.id)
    topics_total = len(list((content / "vi").glob("*.md")))
    assert found["vi"].ui_translated == po_translated(locales / "vi/LC_MESSAGES/messages.po")
    assert found["vi"].ui_total == ui_total
    assert found["vi"].topics_translated == topics_total
    assert found["vi"].recordings == 1
    assert (found["bdq"].ui_translated, found["bdq"].topics_translated) == (0, 0)
    assert found["bdq"].ui_translated == po_translated(locales / "bdq/LC_MESSAGES/messages.po")
    xtest = found["xtest"]
    assert xtest.ui_translated == po_translated(locales / "xtest/LC_MESSAGES/messages.po") == 3
    assert (xtest.ui_total, xtest.ui_stale) == (ui_total, 1)
    assert (xtest.topics_translated, xtest.topics_partial, xtest.topics_total) == (
        1,
        1,
        topics_total,
    )
    stems = {p.stem for p in (content / "xtest").iterdir() if p.suffix in {".ogg", ".m4a", ".aac"}}
    assert xtest.recordings == len(stems) == 2


def test_coverage_command_prints_a_table_and_json(tmp_path: Path) -> None:
    root = build_tree(tmp_path)
    env = {
        "LOCALES_DIR": str(root / "locales"),
        "CONTENT_DIR": str(root / "content"),
        "LANGUAGES": "vi,bdq,xtest",
    }
    result = run_loa("i18n", "coverage", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = {item["language"]: item for item in json.loads(result.stdout)}
    expected = coverage(root / "locales", root / "content", ("vi", "bdq", "xtest"))
    assert list(data.values()) == [c.as_dict() for c in expected]
    assert data["xtest"]["ui"]["translated"] == 3
    assert data["xtest"]["topics"] == {"translated": 1, "partial": 1, "total": 31}
    assert data["xtest"]["audio"]["recordings"] == 2
    assert data["bdq"]["label"] == "Tiếng Ba Na"
    table = run_loa("i18n", "coverage", env=env)
    assert table.returncode == 0
    line = next(row for row in table.stdout.splitlines() if row.startswith("xtest"))
    assert f"3/{data['xtest']['ui']['total']}" in line and "1 stale" in line


def test_coverage_of_the_repository_holds_no_minority_translations() -> None:
    found = coverage(ROOT / "locales", ROOT / "content", ("vi", "bdq", "sed", "jra"))
    for item in found[1:]:
        assert (item.ui_translated, item.topics_translated, item.recordings) == (0, 0, 0)
        assert item.label == item.name  # no verified native name yet


def test_an_empty_catalog_means_nothing_translated(tmp_path: Path) -> None:
    root = build_tree(tmp_path)
    empty = Catalog(locale=None, domain="messages")
    catalogs.write_catalog(root / "locales/xtest/LC_MESSAGES/messages.po", empty, "xtest")
    found = {c.code: c for c in coverage(root / "locales", root / "content", ("vi", "xtest"))}
    assert found["xtest"].ui_translated == 0
