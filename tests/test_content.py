"""Topic pages as a villager reads them on a phone, and the guard `loa content check` keeps."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from bot.app import Loa
from bot.channels.zalo import render as zalo_render
from bot.content.checks import FIRST_SCREEN_LIMIT
from bot.content.topics import ContentLibrary
from bot.core.chat import Incoming, Kind, choice, text_length, to_plain
from bot.core.clock import FrozenClock
from bot.core.config import ROOT, Settings
from tests.helpers import Chat, fresh_update_id
from tests.test_cli import run_loa

ZALO_LIMIT = 2000

# --- the guard, on fixture pages with one fault each ---------------------------------------

GOOD_SOURCE = """\
  - title: "Quyết định 1719/QĐ-TTg của Thủ tướng Chính phủ"
    url: "https://luatvietnam.vn/chinh-sach/quyet-dinh-1719-qd-ttg-211004-d1.html"
    date: "14/10/2021"
"""


def page(tid: str, body: str, *, sources: str = GOOD_SOURCE, updated: str = "2026-12-01") -> str:
    """A content file: front matter (line 1 to 8 plus the sources) and a body."""
    return (
        f'---\nid: {tid}\ntitle: "Trang {tid}"\nparent: null\nupdated: {updated}\n'
        f"keywords: [thử]\nsources:\n{sources}---\n{textwrap.dedent(body).strip()}\n"
    )


FAULTS = {
    "good": page(
        "good",
        """\
        Nói dễ hiểu: Ủy ban nhân dân (UBND) xã trả lời. Gõ /help để xem các lệnh.

        ## Chi tiết

        Theo Quyết định 1719/QĐ-TTg, 98% người dân có thẻ bảo hiểm y tế. Hỏi UBND xã.

        Đơn vị vận hành: {{operator_name}}.
        """,
    ),
    "elided": page(
        "elided",
        "Một trang.",
        sources='  - title: "Bài báo"\n    url: "https://example.org/...1234.html"\n'
        '    date: "2025"\n',
    ),
    "bare": page(
        "bare",
        "Một trang.",
        sources='  - title: "Trang chủ"\n    url: "https://thuvienphapluat.vn"\n'
        '    date: "2025"\n',
    ),
    "undated": page("undated", "Một trang.", sources='  - title: "Một văn bản không ngày"\n'),
    "long": page("long", "Chữ " * (FIRST_SCREEN_LIMIT // 4 + 10) + "\n\n## Phần sau\n\nHết."),
    "abbr": page("abbr", "Hỏi NHCSXH và HĐND xã."),
    "early": page("early", "Hỏi UBND xã.\n\nỦy ban nhân dân xã ở trung tâm."),
    "command": page("command", "Muốn ngừng, gõ /frobnicate."),
    "figure": page("figure", "Một trang.\n\n## Tiền\n\nMỗi hộ được 40 triệu đồng."),
    "date": page("date", "Từ 01/7/2025 không còn cấp huyện."),
    "sentence": page("sentence", " ".join(["chữ"] * 45) + "."),
    "placeholder": page("placeholder", "Liên hệ: {{operator_phone}}."),
    "stale": page("stale", "Một trang.", updated="2025-11-30"),
}


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A content directory with one page per fault, and the real abbreviation list."""
    root = tmp_path_factory.mktemp("content")
    (root / "vi").mkdir()
    for tid, text in FAULTS.items():
        (root / "vi" / f"{tid}.md").write_text(text, encoding="utf-8")
    (root / "abbreviations.yaml").write_text(
        (ROOT / "content" / "abbreviations.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return root


@pytest.fixture(scope="module")
def guard(faulty: Path) -> tuple[int, str, str]:
    """`loa content check` on the faulty pages, judged on 05/12/2026."""
    result = run_loa("content", "check", "--content-dir", str(faulty), "--today", "2026-12-05")
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("vi/elided.md:9", "address shortened with '...'"),
        ("vi/bare.md:9", "bare domain https://thuvienphapluat.vn"),
        ("vi/undated.md:8", "source without a date"),
        ("vi/long.md:12", f"(at most {FIRST_SCREEN_LIMIT})"),
        ("vi/abbr.md:12", "abbreviation HĐND is not in content/abbreviations.yaml"),
        ("vi/abbr.md:12", "NHCSXH is used before it is spelled out (Ngân hàng Chính sách xã hội)"),
        ("vi/early.md:12", "UBND is used before it is spelled out (Ủy ban nhân dân)"),
        ("vi/command.md:12", "/frobnicate is not a command Loa has"),
        ("vi/figure.md:16", "figure '40 triệu' with no source named"),
        ("vi/date.md:12", "date 01/7/2025: write it as 01/07/2025"),
        ("vi/sentence.md:12", "a sentence of 45 words (at most 40)"),
        ("vi/placeholder.md:12", "unknown placeholder {{operator_phone}}"),
    ],
)
def test_content_check_names_each_fault_with_file_and_line(
    guard: tuple[int, str, str], where: str, message: str
) -> None:
    code, _, stderr = guard
    assert code == 1
    assert any(
        line.startswith(f"error: {where}: ") and message in line for line in stderr.splitlines()
    ), stderr


def test_content_check_passes_a_page_without_faults(guard: tuple[int, str, str]) -> None:
    _, _, stderr = guard
    assert "vi/good.md" not in stderr


def test_a_page_not_updated_for_a_year_is_a_warning_judged_on_the_given_day(
    faulty: Path, guard: tuple[int, str, str]
) -> None:
    _, stdout, stderr = guard
    assert "warning: vi/stale.md:5: updated 2025-11-30, more than a year ago" in stdout
    assert "vi/stale.md" not in stderr  # a warning does not fail the check
    earlier = run_loa("content", "check", "--content-dir", str(faulty), "--today", "2026-11-29")
    assert "vi/stale.md" not in earlier.stdout


def test_real_content_names_only_commands_the_bot_has_and_full_addresses() -> None:
    result = run_loa("content", "check", "--today", "2026-12-05")
    assert result.returncode == 0, result.stderr
    assert "warning: vi/" not in result.stdout  # every page checked within the year
    for path in (ROOT / "content").glob("*/*.md"):
        urls = re.findall(r'url: "([^"]*)"', path.read_text(encoding="utf-8"))
        assert all("..." not in url and "…" not in url for url in urls), path


# --- pages on a phone ------------------------------------------------------------------------


async def open_page(chat: Chat, topic_id: str) -> str:
    """Open a topic as a button press would; the text the user reads."""
    event = Incoming(
        chat.channel,
        chat.user,
        fresh_update_id(),
        Kind.choice,
        choice=choice("t", topic_id, label="").payload,
    )
    await chat.deliver(event)
    return chat.text


async def test_a_page_opens_on_a_short_first_screen_and_reads_more_on_request(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    first = await open_page(chat, "du-an-8")
    assert "111" in first and "113" in first  # the emergency numbers come first
    assert "Nguồn:" not in first
    assert chat.choices[0].label == "📖 Xem thêm"
    await chat.send(chat.number("Xem thêm"))  # typed, as on Zalo and in the console
    rest = chat.text
    assert "Dự án làm gì" in rest
    assert "Nguồn:" in rest and "https://luatvietnam.vn/" in rest
    assert re.search(r"Cập nhật: \d{2}/\d{2}/\d{4}", rest)
    assert "Xem thêm" not in [c.label for c in chat.choices]
    assert any("Quay lại" in c.label for c in chat.choices)  # the page's way on


async def test_no_page_is_cut_mid_paragraph_on_zalo(chat: Chat, loa: Loa) -> None:
    library: ContentLibrary = loa.services.content
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    for topic_id in library.ids:
        await open_page(chat, topic_id)
        screens = [chat.last]
        if "Xem thêm" in [c.label for c in chat.choices]:
            await chat.press("Xem thêm")
            screens.append(chat.last)
        for replies in screens:
            for reply in replies:
                parts = zalo_render(reply)
                assert all(text_length(part) <= ZALO_LIMIT for part in parts)
                for paragraph in to_plain(reply.text).split("\n\n"):
                    assert any(paragraph.strip() in part for part in parts), (topic_id, paragraph)
        first = to_plain(screens[0][0].text)
        assert text_length(first) <= ZALO_LIMIT, topic_id  # the first screen is one message


async def test_privacy_page_says_who_runs_loa_or_that_it_is_not_filled_in(
    chat: Chat, settings: Settings, clock: FrozenClock
) -> None:
    await chat.send("/start")
    await chat.press("Tiếng Việt")
    await open_page(chat, "bao-ve-du-lieu")
    assert "bằng văn bản" in chat.text
    await chat.press("Xem thêm")
    assert (
        "Đơn vị vận hành Loa và chịu trách nhiệm về dữ liệu: (đơn vị cài đặt Loa chưa khai báo)"
        in chat.text
    )
    assert "{{" not in chat.text

    filled = settings.model_copy(
        update={"operator_name": "UBND xã Ia Tơi", "operator_contact": "Bộ phận một cửa *xã*"}
    )
    app = await Loa.start(filled, clock=clock)
    try:
        other = Chat(app.engine, user="villager-2")
        await other.send("/start")
        await other.press("Tiếng Việt")
        await open_page(other, "bao-ve-du-lieu")
        await other.then("[Xem thêm]", "chịu trách nhiệm về dữ liệu: UBND xã Ia Tơi.")
        assert "Liên hệ: Bộ phận một cửa *xã*." in other.text  # shown as typed, not as bold
    finally:
        await app.close()
