"""Search: normalisation, typo/chat/run-together tolerance, noise handling and ranking quality."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content.search import SearchDoc, SearchHit, SearchIndex, normalize

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
EVAL_FILE = Path(__file__).parent / "data" / "search-eval.yaml"
# Ranking quality on this file and the others is measured in tests/test_answers.py.


def load_docs(root: Path = CONTENT) -> list[SearchDoc]:
    """Read content/<lang>/<topic>.md (YAML front matter between `---` lines) into SearchDocs."""
    docs = []
    for path in sorted(root.glob("*/*.md")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        if not lines or lines[0].strip() != "---":
            continue
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        meta: dict[str, Any] = yaml.safe_load("\n".join(lines[1:end])) or {}
        docs.append(
            SearchDoc(
                topic_id=str(meta.get("id") or path.stem),
                lang=path.parent.name,
                title=str(meta.get("title", "")),
                keywords=tuple(str(k) for k in meta.get("keywords") or ()),
                body="\n".join(lines[end + 1 :]),
                parent=meta.get("parent"),
            )
        )
    return docs


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    docs = load_docs()
    if len({d.topic_id for d in docs}) < 5:
        pytest.skip("content/ is not written yet")
    return SearchIndex.build(docs)


# A small hand-made corpus, so behaviour tests do not depend on how content is worded.
TOY = [
    SearchDoc(
        "nha",
        "vi",
        "Hỗ trợ đất ở, nhà ở cho hộ nghèo",
        ("làm nhà", "sửa nhà", "đất ở"),
        "Hộ nghèo **chưa có nhà ở** được hỗ trợ làm nhà. Hỗ trợ nước sinh hoạt.",
    ),
    SearchDoc(
        "truong",
        "vi",
        "Trường phổ thông dân tộc nội trú",
        ("nhà trường", "học sinh"),
        "Hỗ trợ nhà trường, học sinh nội trú và bán trú của dân tộc thiểu số.",
    ),
    SearchDoc(
        "vay",
        "vi",
        "Vay vốn ưu đãi",
        ("vay vốn", "ngân hàng chính sách", "lãi suất"),
        "Hộ nghèo được vay vốn ưu đãi tối đa 40 triệu đồng, lãi suất thấp. Hỗ trợ cho vay.",
    ),
    SearchDoc(
        "sdd",
        "vi",
        "Phòng chống suy dinh dưỡng trẻ em",
        ("suy dinh dưỡng", "trẻ em", "trẻ nhẹ cân"),
        "Chăm sóc sức khỏe bà mẹ, trẻ em; hỗ trợ dinh dưỡng.",
    ),
    SearchDoc(
        "dal",
        "vi",
        "Xã Ia Đal và xã Ia Tơi thay huyện Ia H'Drai",
        ("sáp nhập", "Ia Dom"),
        "Từ 1/7/2025 huyện Ia H'Drai không còn; Ia Dom nhập vào xã Ia Tơi.",
    ),
    SearchDoc("dal", "bdq", "Tơring Ia Đal", ("ia dal",), "Hla ƀar tơring ia Đal."),
    SearchDoc(
        "kp",
        "vi",
        "Kinh phí thực hiện",
        ("nguồn kinh phí", "ngân sách"),
        "Kinh phí từ ngân sách nhà nước và nguồn hợp pháp khác.",
    ),
    SearchDoc(
        "uytin",
        "vi",
        "Người có uy tín",
        ("già làng", "người uy tín"),
        "Người có uy tín được tặng quà Tết, hỗ trợ khi ốm đau.",
    ),
]


@pytest.fixture(scope="module")
def toy() -> SearchIndex:
    return SearchIndex.build(TOY)


def top(index: SearchIndex, query: str) -> str | None:
    hits = index.search(query)
    return hits[0].topic_id if hits else None


# --- normalize -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hỗ trợ NHÀ Ở", "ho tro nha o"),
        ("Đất đai, ĐỒNG BÀO", "dat dai dong bao"),
        ("  nhiều   khoảng   trắng\t\n", "nhieu khoang trang"),
        ("Ia H'Drai / Ia H’Drai", "ia hdrai ia hdrai"),
        ("88/2019/QH14", "88 2019 qh14"),
        ("vay vốn?!... ưu đãi 😀", "vay von uu dai"),
        ("Tơring ƀar", "toring bar"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_is_nfc_nfd_safe() -> None:
    text = "Suy dinh dưỡng, được hỗ trợ, Đắk Lắk"
    assert (
        normalize(unicodedata.normalize("NFD", text))
        == normalize(unicodedata.normalize("NFC", text))
        == "suy dinh duong duoc ho tro dak lak"
    )


# --- behaviour on a toy corpus -----------------------------------------------------------------


def test_accents_case_and_d_do_not_matter(toy: SearchIndex) -> None:
    assert top(toy, "vay von uu dai") == top(toy, "VAY VỐN ƯU ĐÃI") == "vay"
    assert top(toy, "xa ia dal") == top(toy, "xã Ia Đal") == "dal"


def test_nfd_query(toy: SearchIndex) -> None:
    query = unicodedata.normalize("NFD", "phòng chống suy dinh dưỡng")
    assert top(toy, query) == "sdd"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hoo tro lam nha", "nha"),  # doubled letter
        ("ho tro lam nah", "nha"),  # swapped letters
        ("suy dinh duogn", "sdd"),
        ("suy dinhh duong", "sdd"),
        ("suy dih duong", "sdd"),  # missing letter
        ("vay vonn uu dai", "vay"),
        ("nguoi co uy tinn", "uytin"),
        ("kinh phu thuc hien", "kp"),  # wrong letter, settled by its neighbours
    ],
)
def test_typos(toy: SearchIndex, query: str, expected: str) -> None:
    assert top(toy, query) == expected


def test_short_words_are_not_fuzzy_matched_to_everything(toy: SearchIndex) -> None:
    # "nah" is one edit away from several indexed words: a guess, never a direct answer.
    assert not toy.is_confident(toy.search("nah"))
    # A real word the index lacks ("mèo", cat) is not "corrected" into an indexed one.
    assert toy.search("mèo") == []
    assert [h.topic_id for h in toy.search("con mèo")] == [h.topic_id for h in toy.search("con")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hotrolamnha", "nha"),
        ("vayvon uudai", "vay"),
        ("suydinhduong", "sdd"),
        ("nguoicouytin", "uytin"),
        ("huyen iahdrai", "dal"),
        ("ia h drai", "dal"),
    ],
)
def test_run_together_words(toy: SearchIndex, query: str, expected: str) -> None:
    assert top(toy, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nha ngheo ko co nha o thi dc ho tro j", "nha"),
        ("vay dc bn tien vs lai suat ntn", "vay"),
        ("muon vay 40tr", "vay"),
        ("gia lang dc tang qua tet k", "uytin"),
        ("nhaf owr", "nha"),  # Telex typed with the Vietnamese keyboard off
    ],
)
def test_chat_spellings(toy: SearchIndex, query: str, expected: str) -> None:
    assert top(toy, query) == expected


def test_sentence_particles_are_set_aside_only_at_the_end(toy: SearchIndex) -> None:
    assert toy.search("vay von nhe") == toy.search("vay von")
    assert toy.search("vay von nhé, lãi suất ạ?") == toy.search("vay von lai suat")
    assert top(toy, "tre nhe can") == "sdd"  # "nhẹ cân", not "nhé"


def test_money_abbreviations(toy: SearchIndex) -> None:
    assert toy.search("40tr") == toy.search("40 trieu") != []
    assert toy.search("tr") != toy.search("trieu")


def test_bigrams_separate_nha_o_from_nha_truong(toy: SearchIndex) -> None:
    assert top(toy, "nha o") == "nha"
    assert top(toy, "nha truong") == "truong"


def test_question_words_do_not_drive_ranking(toy: SearchIndex) -> None:
    plain = toy.search("kinh phi")
    wordy = toy.search("cho toi hoi kinh phi la gi, o dau, bao nhieu tien a, nhu the nao nhe")
    assert plain[0].topic_id == wordy[0].topic_id == "kp"
    assert toy.search("cho toi hoi la gi nhu the nao a") == []


@pytest.mark.parametrize("query", ["", "   ", "?", "😀👍", "asdfgh", "...!!!", "zxcvbnm qwerty"])
def test_noise_returns_nothing(toy: SearchIndex, query: str) -> None:
    assert toy.search(query) == []


@pytest.mark.parametrize("query", ["hôm nay trời mưa", "ok", "alo alo", "thoi tiet mai the nao"])
def test_noise_is_not_confident(toy: SearchIndex, query: str) -> None:
    assert not toy.is_confident(toy.search(query))


def test_one_hit_per_topic_and_limit(toy: SearchIndex) -> None:
    hits = toy.search("ia dal ia hdrai ho tro nha o vay von", limit=10)
    ids = [h.topic_id for h in hits]
    assert len(ids) == len(set(ids))
    assert len(toy.search("ho tro nha o vay von", limit=2)) <= 2
    assert toy.search("vay von", limit=0) == []
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hit_title_prefers_vietnamese(toy: SearchIndex) -> None:
    hit = toy.search("tơring ƀar")[0]
    assert hit.topic_id == "dal"
    assert hit.title.startswith("Xã Ia Đal")


def test_confident_on_clear_questions(toy: SearchIndex) -> None:
    assert toy.is_confident(toy.search("vay von uu dai"))
    assert toy.is_confident(toy.search("suy dinh duong tre em"))
    assert not toy.is_confident([])
    assert not toy.is_confident([SearchHit("a", 0.55, "A"), SearchHit("b", 0.53, "B")])


def test_empty_index() -> None:
    assert SearchIndex.build([]).search("vay von") == []


# --- quality on real content -------------------------------------------------------------------


def test_eval_file_covers_every_topic() -> None:
    items = yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))
    topics_file = ROOT.parent / "shared" / "topics.yaml"
    assert len(items) >= 120
    if topics_file.exists():
        ids = [t["id"] for t in yaml.safe_load(topics_file.read_text(encoding="utf-8"))]
        counts = {tid: sum(item["topics"][0] == tid for item in items) for tid in ids}
        assert all(n >= 3 for n in counts.values()), counts
        assert all(t in ids for item in items for t in item["topics"])


@pytest.mark.parametrize(
    "query",
    [
        "asdfgh",
        "hôm nay trời mưa",
        "😀",
        "?",
        "ok",
        "alo",
        "hello",
        "test",
        "xin chao",
        "thoi tiet mai the nao",
        "toi khong hieu",
        # Words every page uses are too vague for a direct answer.
        "ho tro",
        "chuong trinh",
        "dan toc",
        "xa",
        # one word of three matched ("tháng" of the report schedule): not an answer
        "tien nuoc may thang nay",
        # "rừng" weighs most, but resettlement matches more of the words: ask which
        "dan tu do den o rung",
    ],
)
def test_noise_on_real_content(index: SearchIndex, query: str) -> None:
    assert not index.is_confident(index.search(query))


def test_a_part_is_preferred_to_its_whole_when_it_answers_as_well(index: SearchIndex) -> None:
    # the plan's front page matches "kế hoạch truyền thông" as well: its part on contents answers
    hits = index.search("ke hoach truyen thong co noi dung gi")
    assert [h.topic_id for h in hits[:2]] == ["noi-dung-tuyen-truyen", "ke-hoach"]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert top(index, "ke hoach truyen thong cua huyen") == "ke-hoach"


def test_a_reason_given_in_a_long_message_weighs_less_than_its_ask(toy: SearchIndex) -> None:
    # the ask is the loan; the boarding pupils are only why it is needed
    asked = (
        "Đề nghị tăng vay vốn ưu đãi cho hộ nghèo, vì học sinh nội trú bán trú ở nhà trường "
        "còn thiếu"
    )
    assert top(toy, asked) == "vay"
    # the same words with the pupils asked for and the loan given as the reason
    assert (
        top(toy, "Đề nghị hỗ trợ học sinh nội trú bán trú ở nhà trường, vì hộ nghèo") == "truong"
    )


def test_a_syllable_counts_where_the_page_has_the_word_it_belongs_to(index: SearchIndex) -> None:
    # "hằng tháng" is not the "tháng" of "báo cáo 6 tháng": the report schedule, which has
    # "tháng" only in other words, does not come before the page on village elders
    assert top(index, "gia lang co phu cap hang thang khong") == "nguoi-co-uy-tin"
