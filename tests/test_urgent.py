"""Someone in danger is answered first with what to do now, whatever search would find."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.chat import to_plain
from tests.helpers import Chat

MESSAGES = yaml.safe_load(
    (Path(__file__).parent / "data" / "urgent.yaml").read_text(encoding="utf-8")
)
SAFETY = "Nếu có người đang gặp nguy hiểm"


def test_the_set_is_large_and_varied() -> None:
    urgent, ordinary = MESSAGES["urgent"], MESSAGES["ordinary"]
    assert len(urgent) >= 40 and len(ordinary) >= 40
    accented = [m for m in urgent if any(ord(ch) > 127 for ch in m)]
    assert 10 <= len(accented) <= len(urgent) - 10  # with and without accents


async def test_every_urgent_message_gets_the_safety_answer_first(chat: Chat) -> None:
    await chat.send("/start")
    await chat.send("1")
    missed = []
    for message in MESSAGES["urgent"]:
        replies = await chat.send(message)
        first = to_plain(replies[0].text)
        if not (first.startswith("⚠️ " + SAFETY) and "111" in first and "113" in first):
            missed.append(message)
    assert missed == []


async def test_no_ordinary_message_gets_it(chat: Chat) -> None:
    await chat.send("/start")
    await chat.send("1")
    triggered = []
    for message in MESSAGES["ordinary"]:
        await chat.send(message)
        if SAFETY in chat.text:
            triggered.append(message)
    assert triggered == []


async def test_the_safety_answer_says_what_to_do_then_where_to_reach_a_person(chat: Chat) -> None:
    await chat.send("/menu")
    await chat.send("Con gái em 15 tuổi bị ép cưới, em phải làm sao")
    assert "Gọi 113 (công an)" in chat.text
    assert "Gọi 111, Tổng đài quốc gia bảo vệ trẻ em (miễn phí, cả ngày và đêm)" in chat.text
    assert "Đến UBND xã hoặc công an xã" in chat.text
    assert "Tôi chưa chắc" not in chat.text and "Bạn hỏi" not in chat.text
    labels = [c.label for c in chat.choices]
    assert labels[:2] == ["Hỏi cán bộ", "Hỏi ai"]  # a person, then whom to ask
    assert "Giảm tảo hôn và hôn nhân cận huyết thống" in labels  # the page on the subject
    await chat.then("[Hỏi ai]", "Liên hệ cơ quan phụ trách")


@pytest.mark.parametrize("step", ["/ask", "/menu"])
async def test_urgent_inside_the_ask_step_too(chat: Chat, step: str) -> None:
    await chat.send(step)
    await chat.send("chong say ruou ve danh vo con")
    assert SAFETY in chat.text
