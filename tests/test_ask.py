"""Questions in a villager's own words, through the engine."""

from __future__ import annotations

from tests.helpers import Chat


async def test_question_without_accents_opens_the_right_page(chat: Chat) -> None:
    await chat.send("/start")
    await chat.send("1")
    await chat.send("nha toi duoc ho tro bao nhieu tien lam nha?")
    assert "Dự án 1" in chat.text or "Tín dụng" in chat.text or "Bạn hỏi" in chat.text
    if "Bạn hỏi" in chat.text:  # not confident: the right page must be among the guesses
        assert any("Dự án 1" in c.label for c in chat.choices)


async def test_confident_answer_is_a_topic_page_with_navigation(chat: Chat) -> None:
    await chat.send("/menu")
    await chat.press("Hỏi một câu")
    await chat.send("che do ho tro cho nguoi co uy tin")
    assert "Đây là thông tin tôi tìm được" in chat.text
    assert "Người có uy tín" in chat.text
    assert chat.choice("Có ích")
    assert chat.choice("Menu chính")


async def test_unclear_question_offers_guesses_and_a_person(chat: Chat) -> None:
    await chat.send("/menu")
    await chat.send("ho tro")
    assert "Bạn hỏi: “ho tro”" in chat.text
    labels = [c.label for c in chat.choices]
    assert "Hỏi cán bộ" in labels
    assert "Hỏi câu khác" in labels
    assert len(labels) <= 6


async def test_nonsense_gets_no_guesses_but_a_way_to_a_person(chat: Chat) -> None:
    await chat.send("/menu")
    await chat.send("qwxz zzkq")
    assert "Tôi chưa tìm được câu trả lời" in chat.text
    assert [c.label for c in chat.choices] == ["Hỏi cán bộ", "Hỏi câu khác", "🏠 Menu chính"]
    await chat.press("Hỏi cán bộ")  # with nobody registered yet, Loa says so
    assert "chưa có cán bộ hay người quản trị nào đăng ký" in chat.text


async def test_ask_command_with_a_question(chat: Chat) -> None:
    await chat.send("/ask vay von uu dai ngan hang chinh sach")
    assert "Ngân hàng Chính sách" in chat.text
