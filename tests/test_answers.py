"""What Loa makes of typed messages, measured on question sets: pages, scope, facts, parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from bot.app import load_answerer
from bot.content.answers import (
    Answerer,
    Fact,
    OutOfScope,
    asked_fact,
    out_of_scope,
    split_asks,
    states_fact,
)
from bot.content.topics import ContentLibrary

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
SHARED = ROOT.parent / "shared"
# Held-out sets (see their headers for how they were used), the project's evaluation set and the
# shared samples of short typed and long real questions, each with a floor for the top-1 and top-3
# shares a little under what search reaches on today's pages, against regressions (the README's
# search section gives the figures).
# The last figure is the floor for the share of out-of-scope questions told so: held-out C,
# written blind after this search was built, is below the 90 % (see the README).
SETS = {
    "held-out A": (DATA / "search-heldout.yaml", 0.95, 0.98, 0.9),
    "held-out B": (DATA / "search-heldout-b.yaml", 0.95, 0.98, 0.9),
    "held-out C": (DATA / "search-heldout-c.yaml", 0.95, 0.97, 0.7),
    "eval": (DATA / "search-eval.yaml", 0.95, 0.98, 0.9),
    "dev": (SHARED / "dev-questions.yaml", 1.0, 1.0, 0.9),
    "dev real": (SHARED / "dev-questions-real.yaml", 0.83, 1.0, 0.9),
}


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return load_answerer(ContentLibrary.load(ROOT / "content"))


@dataclass
class Figures:
    """How search did on one set: in-scope ranking, confident mistakes, out-of-scope told."""

    name: str
    total: int = 0
    top1: int = 0
    top3: int = 0
    confident: int = 0
    confident_wrong: int = 0
    outside: int = 0
    outside_told: int = 0
    misses: list[str] = field(default_factory=list)

    def line(self) -> str:
        asked = self.total + self.outside
        return (
            f"{self.name}: top-1 {self.top1}/{self.total}, top-3 {self.top3}/{self.total}, "
            f"confidently wrong {self.confident_wrong}/{asked}, "
            f"out of scope told {self.outside_told}/{self.outside}"
        )


def measure(answerer: Answerer, name: str, path: Path) -> Figures:
    """Rank every question of a set as Loa would answer it, and count how it went."""
    figures = Figures(name)
    for item in yaml.safe_load(path.read_text(encoding="utf-8")):
        analysis = answerer.analyse(item["q"], limit=5)
        ids = [hit.topic_id for hit in analysis.hits]
        # `topics: [none]` or `out_of_scope: true` (held-out C) for a subject Loa does not cover
        wanted = item.get("topics") or [item.get("topic", "none")]
        if wanted == ["none"] or item.get("out_of_scope"):
            figures.outside += 1
            figures.outside_told += analysis.out_of_scope is not None
            # a page given directly for a subject Loa does not cover is a confident mistake
            figures.confident_wrong += analysis.confident
            if analysis.out_of_scope is None:
                figures.misses.append(f"  not told out of scope: {item['q']!r} got {ids[:3]}")
            continue
        ok1 = bool(ids) and ids[0] in wanted
        figures.total += 1
        figures.top1 += ok1
        figures.top3 += bool(set(ids[:3]) & set(wanted))
        figures.confident += analysis.confident
        figures.confident_wrong += analysis.confident and not ok1
        if analysis.out_of_scope is not None:
            figures.misses.append(f"  told out of scope: {item['q']!r}")
        elif not ok1:
            figures.misses.append(f"  {item['q']!r} want {wanted} got {ids[:3]}")
    return figures


def test_search_quality_on_seen_and_unseen_questions(answerer: Answerer) -> None:
    measured = [
        (measure(answerer, name, path), top1, top3, told)
        for name, (path, top1, top3, told) in SETS.items()
        if path.exists()
    ]
    report = "\n".join(f.line() + "\n" + "\n".join(f.misses) for f, *_ in measured)
    print(report)  # the figures the README quotes: `pytest -s -k search_quality`
    for f, top1, top3, told in measured:
        asked = f.total + f.outside
        assert f.top1 >= top1 * f.total, report
        assert f.top3 >= top3 * f.total, report
        assert f.confident_wrong <= max(1, 0.02 * asked), report
        assert f.outside_told >= told * f.outside, report


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("phat tao hon bao nhieu", Fact.fine),
        ("bị xử phạt thế nào", Fact.fine),
        ("tuoi ket hon la bao nhieu", Fact.age),
        ("may tuoi thi duoc lay chong", Fact.age),
        ("vay duoc bao nhieu tien", Fact.amount),
        ("muc ho tro lam nha", Fact.amount),
        ("khi nao nop bao cao", Fact.date),
        ("phat trien san xuat", None),
        ("phat thanh tieng dan toc", None),
        ("vay von uu dai", None),
    ],
)
def test_the_kind_of_fact_asked(question: str, fact: Fact | None) -> None:
    assert asked_fact(question) == fact


def test_a_page_states_a_fact_only_with_its_figures() -> None:
    assert states_fact("Hộ nghèo được vay tối đa 100 triệu đồng.", Fact.amount)
    assert not states_fact("Hộ nghèo được vay vốn ưu đãi.", Fact.amount)
    assert states_fact("Báo cáo trước ngày 10/6 hằng năm.", Fact.date)
    assert not states_fact("Tảo hôn bị pháp luật cấm.", Fact.fine)
    assert states_fact("Tảo hôn có thể bị phạt từ 1 triệu đồng.", Fact.fine)


def test_a_long_message_is_cut_into_its_asks_keeping_context() -> None:
    asks = split_asks(
        "Tôi là trưởng thôn. Xin hỏi báo cáo gửi thế nào? Ngoài ra cho hỏi người có uy tín "
        "được hỗ trợ những gì?"
    )
    assert asks == [
        "Tôi là trưởng thôn. Xin hỏi báo cáo gửi thế nào?",
        "cho hỏi người có uy tín được hỗ trợ những gì?",
    ]
    assert split_asks("vay von uu dai cho ho ngheo") == ["vay von uu dai cho ho ngheo"]


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("tuoi nghi huu cua nu", OutOfScope.pension),
        ("rut bao hiem mot lan", OutOfScope.social_insurance),
        ("dat bi thu hoi co duoc den bu khong", OutOfScope.land),
        ("nha toi bi cat ho ngheo", OutOfScope.poor_household),
        ("lam cccd cho con 14 tuoi", OutOfScope.civil_papers),
        ("Đề nghị tăng phụ cấp cho cán bộ thôn", OutOfScope.officials_pay),
        ("nop thue dat o dau", OutOfScope.tax),
        ("sao hay mat dien vay", OutOfScope.electricity),
        ("che do cho thuong binh liet si", OutOfScope.merit),
        ("tro cap cho nguoi khuyet tat bao nhieu", OutOfScope.social_assistance),
        ("con toi 18 tuoi co phai di nghia vu quan su khong", OutOfScope.military_service),
        ("thu tuc ly hon o dau", OutOfScope.justice),
        ("thi bang lai xe may o dau", OutOfScope.police),
        ("hang xom lan chiem dat nha toi", OutOfScope.land),
        ("ho can ngheo la gi", OutOfScope.poor_household),
        ("ho ngheo nam nay xet khi nao", OutOfScope.poor_household),
        ("giay phep xay nha", OutOfScope.permits),
        ("gia lua nam nay", OutOfScope.prices),
        ("cong ty no luong 3 thang", OutOfScope.labour),
        ("nha may xa thai ra suoi gay o nhiem", OutOfScope.environment),
        # what Loa covers, in the same words
        ("ho ngheo duoc ho tro gi", None),
        ("ho tro dat san xuat cho ho ngheo", None),
        ("vuon len thoat ngheo", None),
        ("bao hiem y te cho nguoi dan toc", None),
        ("dang ky ket hon o dau", None),
        ("dien luoi ve thon", None),
        ("Phòng Lao động - Thương binh và Xã hội huyện làm gì", None),
        ("cap dat o cho ho ngheo", None),
        ("ho ngheo duoc xet ho tro lam nha khong", None),
    ],
)
def test_subjects_loa_does_not_cover(question: str, subject: OutOfScope | None) -> None:
    assert out_of_scope(question) == subject


def test_a_subject_named_only_as_the_reason_for_an_ask_is_not_what_is_asked(
    answerer: Answerer,
) -> None:
    asked = answerer.analyse("Đề nghị hỗ trợ làm nhà cho hộ nghèo, vì nhiều hộ chưa có sổ đỏ.")
    assert asked.out_of_scope is None and asked.hits[0].topic_id == "du-an-1"
    # "ti vi" is a television, not "vì"
    tv = "Gia đình tôi có xe máy và ti vi thì có bị loại khỏi danh sách hộ nghèo không?"
    assert answerer.analyse(tv).out_of_scope is OutOfScope.poor_household


def test_words_out_of_scope_that_a_page_names_go_to_that_page(answerer: Answerer) -> None:
    # identity cards are not covered, but what Loa keeps about you is
    kept = answerer.analyse("Loa có lưu số căn cước của tôi không?")
    assert kept.out_of_scope is None and kept.hits[0].topic_id == "bao-ve-du-lieu"
    assert answerer.analyse("lam can cuoc cong dan cho con o dau").out_of_scope is not None
    elder = answerer.analyse("can bo nghi huu co duoc cong nhan la nguoi co uy tin khong")
    assert elder.out_of_scope is None and elder.hits[0].topic_id == "nguoi-co-uy-tin"
    assert answerer.analyse("bo toi nghi huu roi thi lanh luong o dau").out_of_scope is not None


def test_in_a_long_message_a_subject_out_of_scope_may_be_context(answerer: Answerer) -> None:
    house = answerer.analyse(
        "Nhà tôi chưa có sổ đỏ nhưng là hộ nghèo dân tộc thiểu số chưa có nhà ở, xin hỏi có "
        "được hỗ trợ làm nhà không?"
    )
    assert house.out_of_scope is None and house.hits[0].topic_id == "du-an-1"
    land = answerer.analyse(
        "Xin hỏi thủ tục cấp đổi giấy chứng nhận quyền sử dụng đất khi tách thửa cho con cần "
        "những giấy tờ gì?"
    )
    assert land.out_of_scope is OutOfScope.land


def test_subjects_out_of_scope_are_seen_through_run_together_words(answerer: Answerer) -> None:
    assert answerer.analyse("luonghuu cua me toi").out_of_scope is OutOfScope.pension
    assert answerer.analyse("lam sodo mat bao lau").out_of_scope is OutOfScope.land


def test_a_question_no_page_comes_near_is_said_not_covered(answerer: Answerer) -> None:
    assert answerer.analyse("con meo nha hang xom").out_of_scope is OutOfScope.uncovered
    # matched in part, but about words no page uses
    assert answerer.analyse("cach dang ky sim chinh chu").out_of_scope is OutOfScope.uncovered
    # gibberish is not a subject: it is told it was not understood
    gibberish = answerer.analyse("asdkjh qwe zzz")
    assert gibberish.gibberish and gibberish.out_of_scope is None
    assert answerer.analyse("vay von uu dai").out_of_scope is None
