"""The reply vocabulary: markup, escaping, splitting under each channel's limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.chat import (
    Choice,
    Incoming,
    Kind,
    choice,
    escape,
    parse_choice,
    parse_command,
    split_text,
    text_length,
    to_html,
    to_plain,
)


def test_commands_are_parsed_with_bot_names_and_arguments() -> None:
    assert parse_command("/start") == ("start", "")
    assert parse_command("/Join@LoaBot  ABC-123 ") == ("join", "ABC-123")
    assert parse_command("hello /start") == ("", "")
    assert Incoming.from_text("c", "u", "1", "/menu").kind is Kind.command
    assert Incoming.from_text("c", "u", "1", "menu").kind is Kind.text


def test_choices_are_versioned_and_short() -> None:
    made = choice("t", "du-an-1", label="Dự án 1")
    assert made.payload == "v1:t:du-an-1"
    assert parse_choice(made.payload) == ("t", ["du-an-1"])
    assert parse_choice("v0:t:x") is None
    assert parse_choice("garbage") is None
    with pytest.raises(ValueError, match="64 bytes"):
        Choice("v1:" + "x" * 70, "too long")


def test_user_text_cannot_inject_markup() -> None:
    hostile = "**<b>bold</b>** \\*"
    markup = f"**Bạn hỏi:** {escape(hostile)}"
    assert to_plain(markup) == f"Bạn hỏi: {hostile}"
    assert to_html(markup) == ("<b>Bạn hỏi:</b> **&lt;b&gt;bold&lt;/b&gt;** \\*")


@given(st.text(max_size=300))
def test_escape_round_trips_any_text(text: str) -> None:
    assert to_plain(escape(text)) == text


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=700),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([100, 2000, 4096]),
)
def test_split_parts_fit_and_keep_every_word(paragraphs: list[str], limit: int) -> None:
    markup = "\n\n".join(paragraphs)
    parts = split_text(markup, limit)
    assert all(text_length(part) <= limit for part in parts)
    assert "".join(markup.split()) == "".join("".join(parts).split())


def test_split_prefers_paragraph_boundaries() -> None:
    first, second = "a" * 1500, "b" * 1500
    assert split_text(f"{first}\n\n{second}", 2000) == [first, second]
    assert split_text(f"{first}\n\n{second}", 4096) == [f"{first}\n\n{second}"]


def test_length_counts_utf16_units_like_the_bot_apis() -> None:
    assert text_length("Tiếng Việt") == 10
    assert text_length("😀") == 2
