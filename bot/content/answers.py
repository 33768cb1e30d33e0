"""What a typed message asks and how Loa should answer it: one analysis for chat and `loa ask`.

Search ranks pages; this decides what to do with the ranking. In order: a message about someone
in danger (`urgent`), small talk (greetings, thanks), gibberish, a subject Loa does not cover
(`out_of_scope`), then the page. A long message may hold several asks (`parts`): each is read on
its own. When the page is given but the kind of fact asked for (an amount, an age, a fine, a
date) is not on it, `fact_found` is false, so Loa says so instead of implying the page answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.content.search import SearchHit, SearchIndex, normalize, without_reasons
from bot.content.urgent import Urgency, detect_urgent

__all__ = [
    "Analysis",
    "Answerer",
    "Ask",
    "Fact",
    "OutOfScope",
    "SmallTalk",
    "asked_fact",
    "out_of_scope",
    "small_talk",
    "split_asks",
    "states_fact",
]


class Fact(StrEnum):
    """A kind of fact a question asks for, which a page may or may not state."""

    amount = "amount"
    age = "age"
    fine = "fine"
    date = "date"


class OutOfScope(StrEnum):
    """Subjects people ask about that Loa's pages do not cover, each with its own office."""

    pension = "pension"
    social_insurance = "social_insurance"
    land = "land"
    poor_household = "poor_household"
    civil_papers = "civil_papers"
    officials_pay = "officials_pay"
    tax = "tax"
    electricity = "electricity"
    merit = "merit"
    social_assistance = "social_assistance"
    military_service = "military_service"
    justice = "justice"
    police = "police"
    permits = "permits"
    prices = "prices"
    labour = "labour"
    environment = "environment"
    # No subject named, but no page comes near the question: Loa says it seems not covered.
    uncovered = "uncovered"


class SmallTalk(StrEnum):
    """Messages that are conversation, not questions."""

    greeting = "greeting"
    thanks = "thanks"
    acknowledgement = "acknowledgement"


@dataclass(frozen=True, slots=True)
class Ask:
    """One ask of a message and what search made of it."""

    text: str
    hits: tuple[SearchHit, ...]
    confident: bool
    fact: Fact | None
    fact_found: bool
    out_of_scope: OutOfScope | None

    @property
    def topic_id(self) -> str | None:
        """The page given directly, if any."""
        return self.hits[0].topic_id if self.confident and self.hits else None

    @property
    def subject(self) -> str | None:
        """What the ask is about: the subject out of scope, else the best page, if any."""
        if self.out_of_scope is not None:
            return str(self.out_of_scope)
        return self.hits[0].topic_id if self.hits else None


@dataclass(frozen=True, slots=True)
class Analysis:
    """A whole message: what it is, and its asks (the whole message first)."""

    text: str
    main: Ask
    parts: tuple[Ask, ...] = ()
    urgent: Urgency | None = None
    small_talk: SmallTalk | None = None
    gibberish: bool = False

    @property
    def hits(self) -> tuple[SearchHit, ...]:
        """The ranking for the whole message."""
        return self.main.hits

    @property
    def confident(self) -> bool:
        """True when the person gets the page directly (not after a safety answer or a choice)."""
        return (
            self.main.confident
            and self.urgent is None
            and self.small_talk is None
            and not self.gibberish
        )

    @property
    def out_of_scope(self) -> OutOfScope | None:
        """The subject Loa does not cover, when the message is about one."""
        return self.main.out_of_scope

    @property
    def answered_parts(self) -> tuple[Ask, ...]:
        """The asks answered one by one: two or more parts about different things, else none."""
        subjects = {part.subject for part in self.parts}
        if len(self.parts) < 2 or None in subjects or len(subjects) < len(self.parts):
            return ()
        return self.parts


# --- the kind of fact asked --------------------------------------------------------------------

# Folded text (no accents): "phạt" and "phát" are both "phat", so a fine is "phat" not followed by
# the words that make it "phát" (phát triển, phát thanh, phát hiện…).
_PHAT_NOT_FINE = (
    "trien",
    "thanh",
    "hien",
    "song",
    "dong",
    "huy",
    "sinh",
    "am",
    "ngon",
    "bieu",
    "hanh",
    "minh",
    "tan",
    "ra",
    "di",
    "loa",
    "tu",
    "giac",
    "do",
    "quang",
    "sang",
    "dat",
    "chan",
    "lenh",
    "tien",
    "trinh",
    "huong",
    "nguyen",
    "thuong",
    "bong",
    "hoa",
    "chay",
    "xuat",
)
_ASKED: tuple[tuple[Fact, re.Pattern[str]], ...] = (
    (
        Fact.fine,
        re.compile(
            r"\b(?:xu phat|bi phat|nop phat|muc phat|tien phat|phat hanh chinh|phat tien)\b"
            rf"|(?:^| )phat (?!(?:{'|'.join(_PHAT_NOT_FINE)})\b)"
        ),
    ),
    (
        Fact.age,
        re.compile(
            r"\b(?:bao nhieu|may|nhieu) tuoi\b|\b(?:du|do|gioi han|tuoi toi thieu) tuoi\b"
            r"|\btuoi (?:ket hon|lay chong|lay vo|cuoi|duoc (?:cuoi|lay|ket hon))\b"
            r"|\bmay tuoi\b|\btu (?:bao nhieu|may) tuoi\b"
        ),
    ),
    (
        Fact.amount,
        re.compile(
            r"\bbao nhieu (?:tien|trieu|dong|nghin|phan tram)\b|\bmay trieu\b|\bso tien\b"
            r"|\bmuc (?:ho tro|vay|tien|phu cap|huong|chi|khoan|luong|tro cap)\b"
            r"|\b(?:ho tro|vay|nhan|cho|chi|tra|phu cap|tro cap|khoan|luong|duoc|huong|lai suat"
            r"|toi da|moi nam|moi thang|mot thang|mot nam|1 thang|1 nam)(?: duoc)? bao nhieu\b"
            r"|\blai suat (?:la )?(?:bao nhieu|may|the nao)\b"
        ),
    ),
    (
        Fact.date,
        re.compile(
            r"\b(?:khi nao|bao gio|luc nao|ngay nao|thang nao|han chot|truoc ngay|den bao gio"
            r"|den khi nao|tu khi nao|tu bao gio|ngay may|hom nao|thoi han)\b"
        ),
    ),
)
# What each kind of fact looks like on a page (folded text).
_MONEY = r"\d[\d.,]*\s*(?:trieu|nghin|ngan|ty|dong|%|phan tram)\b"
_ON_PAGE: dict[Fact, re.Pattern[str]] = {
    Fact.amount: re.compile(_MONEY),
    Fact.age: re.compile(r"\b\d+ tuoi\b|\btuoi \d+\b|\bdu \d+\b"),
    Fact.fine: re.compile(rf"\b(?:phat|xu phat)\b[^\n]{{0,80}}{_MONEY}"),
    Fact.date: re.compile(
        r"\b\d{1,2} \d{1,2}(?: \d{4})?\b|\bngay \d|\bthang \d|\bquy [1-4]\b|\bhang (?:nam|thang)\b"
        r"|\bdinh ky\b|\b\d+ (?:ngay|thang)\b"
    ),
}


def asked_fact(text: str) -> Fact | None:
    """The kind of fact a question asks for, if it asks for one of the kinds pages may lack."""
    folded = normalize(text)
    for fact, pattern in _ASKED:
        if pattern.search(folded):
            return fact
    return None


def states_fact(page_text: str, fact: Fact) -> bool:
    """Tell whether a page states a fact of this kind at all."""
    folded = " ".join(
        normalize(line) for line in page_text.replace("/", " ").splitlines() if line.strip()
    )
    return bool(_ON_PAGE[fact].search(folded))


# --- subjects Loa does not cover ---------------------------------------------------------------

_OUT_OF_SCOPE: tuple[tuple[OutOfScope, re.Pattern[str]], ...] = tuple(
    (subject, re.compile(pattern))
    for subject, pattern in (
        (
            OutOfScope.pension,
            r"\b(?:(?:luong|ve|nghi|lanh|linh|tien|che do|huong|tuoi|nhan|tro cap) huu|huu tri)\b",
        ),
        (
            OutOfScope.social_insurance,
            r"\b(?:bao hiem xa hoi|bao hiem xh|bhxh|so bao hiem|"
            r"(?:dong|mua|nop|rut|huong|lanh|nhan) bao hiem(?! y te| yte| suc khoe)|"
            r"bao hiem that nghiep|thai san|"
            r"bao hiem tu nguyen|bao hiem bat buoc|bao hiem mot lan|rut bao hiem|that nghiep|"
            r"tu tuat|mai tang phi|tro cap mai tang)\b",
        ),
        (
            OutOfScope.land,
            r"\b(?:so do|so hong|bia do|so dat|bia dat|giay dat|quyen su dung dat|"
            r"giay chung nhan (?:quyen )?su dung|"
            r"tach thua|sang ten|chuyen nhuong dat|cap so dat|lam so dat|lam so|tranh chap dat|"
            r"do dac dat|cap giay dat|giay do|giay to dat|thu hoi dat|dat bi thu hoi|den bu|"
            r"boi thuong (?:dat|giai phong|khi nha nuoc)|tien boi thuong|giai phong mat bang|"
            r"chuyen muc dich su dung|tranh chap(?: \w+){0,2} dat|ranh gioi dat|mua ban dat|"
            r"gia dat|"
            r"lan chiem(?: \w+)? dat|lan dat)\b",
        ),
        (
            OutOfScope.poor_household,
            r"\b(?:(?:binh xet|xet|danh gia|ra soat|cong nhan|tieu chi|chuan|dieu kien)"
            r"(?: \w+){0,2} (?:ho |dien )?(?:can )?ngheo|chuan ngheo|(?:vao|dua vao|ra khoi|"
            r"rut khoi|loai khoi) (?:dien |danh sach )?(?:ho )?(?:can )?ngheo|"
            r"(?:ai|the nao|nhu the nao|ho nao|nha nao) (?:la|duoc coi la|duoc xep) (?:ho )?"
            r"(?:can )?ngheo|(?:so|giay chung nhan|the|giay xac nhan) ho (?:can )?ngheo|"
            r"(?:cat|bi cat|cat bo) (?:dien |danh sach )?ho (?:can )?ngheo|"
            r"dang ky (?:vao )?(?:dien )?ho (?:can )?ngheo|phuc tra ho (?:can )?ngheo|"
            r"ho (?:can )?ngheo la (?:gi|the nao|sao|nhu the nao)|"
            r"ho (?:can )?ngheo(?: \w+){0,3} (?:binh )?xet (?:khi nao|bao gio|lai|the nao|"
            r"nhu the nao|ra sao|may nam|bao lau|hang nam))\b",
        ),
        (
            OutOfScope.civil_papers,
            r"\b(?:khai sinh|can cuoc|cccd|cmnd|chung minh nhan dan|ho khau|tam tru|thuong tru|"
            r"ho chieu|khai tu|giay dinh danh|dinh danh dien tu|vneid|cmt|"
            # "cccd" folds to "cd": three letters in a row are read as emphasis
            r"(?:lam|cap|cap lai|doi) cd)\b",
        ),
        (
            OutOfScope.officials_pay,
            r"\b(?:(?:phu cap|luong|che do|tang luong)(?: \w+){0,3} can bo|"
            r"(?:phu cap|luong)(?: \w+){0,2} "
            r"(?:truong thon|thon truong|bi thu chi bo|cong an vien)|"
            r"can bo khong chuyen trach|nguoi hoat dong khong chuyen trach|luong co so|"
            r"luong (?:giao vien|cong chuc|vien chuc|can bo)|"
            r"tinh gian bien che)\b",
        ),
        (
            OutOfScope.tax,
            r"\b(?:(?:nop|dong|tien|mien|giam|no|khai|quyet toan) thue|thue (?:dat|thu nhap|"
            r"mon bai|nha dat|su dung dat|gia tri gia tang|nong nghiep))\b",
        ),
        (
            OutOfScope.electricity,
            r"\b(?:tien dien|hoa don dien|gia dien|cup dien|mat dien|cong to dien|cat dien|"
            r"dien bi cat)\b",
        ),
        (
            OutOfScope.merit,
            r"\b(?:nguoi co cong|co cong (?:voi )?cach mang|"
            # not the "Thương binh" of the labour department's name
            r"(?<!lao dong )thuong binh(?! va xa hoi)|benh binh|liet si|"
            r"chat doc da cam|me viet nam anh hung|gia dinh chinh sach)\b",
        ),
        (
            OutOfScope.social_assistance,
            r"\b(?:tro cap xa hoi|bao tro xa hoi|khuyet tat|nguoi cao tuoi|tro cap (?:cho )?"
            r"(?:nguoi gia|nguoi cao tuoi|nguoi khuyet tat|tre mo coi|hang thang)|mo coi|"
            r"tro cap tuoi gia|cuu doi|tro cap gao)\b",
        ),
        (
            OutOfScope.military_service,
            r"\b(?:nghia vu quan su|di bo doi|nhap ngu|tuyen quan|kham tuyen quan su|"
            r"dan quan tu ve|xuat ngu)\b",
        ),
        (
            OutOfScope.justice,
            r"\b(?:ly hon|ly di|thua ke|di chuc|khoi kien|kien tung|toa an|ban an|"
            r"cong chung|chung thuc|lam di chuc|chia tai san)\b",
        ),
        (
            OutOfScope.police,
            r"\b(?:trom|trom cap|mat trom|bi trom|cuop|ma tuy|co bac|danh bac|lua dao qua mang|"
            r"mat xe|mat cap|bang lai|giay phep lai xe|dang ky xe|bien so xe|vi pham giao thong|"
            r"tai nan giao thong)\b",
        ),
        (
            OutOfScope.labour,
            r"\b(?:hop dong lao dong|sa thai|cong ty no luong|no luong|tai nan lao dong|"
            r"luong toi thieu|nghi phep|bi duoi viec|cong nhan nha may|luat lao dong)\b",
        ),
        (
            OutOfScope.environment,
            r"\b(?:o nhiem|rac thai|xa thai|thu gom rac|bai rac|khai thac cat|"
            r"khai thac khoang san|"
            r"moi truong song)\b",
        ),
        (
            OutOfScope.permits,
            r"\b(?:giay phep (?:xay dung|xay nha|kinh doanh|mo)|dang ky kinh doanh|ho kinh doanh|"
            r"mo quan|giay phep con)\b",
        ),
        (
            OutOfScope.prices,
            r"\b(?:gia (?:lua|gao|ca phe|cao su|mi|san|heo|lon|bo|ga|phan bon|xang|vang|"
            r"nong san|thit|dieu|tieu|hat dieu|ho tieu)|thi truong nong san)\b",
        ),
    )
)


def out_of_scope(text: str) -> OutOfScope | None:
    """The subject Loa does not cover that a message is about, if any."""
    found = _out_of_scope_words(normalize(text))
    return found[0] if found else None


def _out_of_scope_words(folded: str) -> tuple[OutOfScope, list[str], str] | None:
    """The subject out of scope, the words that name it, and the text without them."""
    for subject, pattern in _OUT_OF_SCOPE:
        words = [m.group(0) for m in pattern.finditer(folded)]
        if words:
            return subject, words, pattern.sub(" ", folded)
    return None


# --- small talk and gibberish ------------------------------------------------------------------

_GREETING = re.compile(r"\b(?:chao|xin chao|hello|helo|hi|alo|hey|chao buoi \w+)\b")
_ACK = re.compile(r"\b(?:ok|oke|okie|oki|okay|vang|da|u|uh|uk|um|roi|hieu roi|biet roi)\b")
_THANKS = re.compile(r"\b(?:cam on|cam ou|thanks?|tks|thank you|thanhks)\b")
# Words that may surround a greeting or thanks without making it a question.
# fmt: off
_CHATTER = frozenset((
    "xin", "chao", "hello", "helo", "hi", "alo", "hey", "cam", "on", "thanks", "thank", "tks",
    "you", "a", "ah", "ak", "oi", "loa", "ban", "em", "anh", "chi", "co", "chu", "bac", "ong",
    "ba", "ad", "admin", "bot", "nhieu", "nhe", "nha", "nhen", "ok", "oke", "okie", "vang", "da",
    "rat", "qua", "tot", "lam", "good", "morning", "buoi", "sang", "trua", "chieu", "toi", "minh",
    "moi", "nguoi", "ca", "hihi", "hehe", "vay", "okay", "oki", "u", "uh", "uk", "um", "roi",
    "hieu", "biet",
))
# fmt: on


def small_talk(text: str) -> SmallTalk | None:
    """Greetings and thanks with nothing else asked."""
    folded = normalize(text)
    if not folded or any(word not in _CHATTER for word in folded.split()):
        return None
    if _THANKS.search(folded):
        return SmallTalk.thanks
    if _GREETING.search(folded):
        return SmallTalk.greeting
    if _ACK.search(folded):
        return SmallTalk.acknowledgement
    return None


# --- parts of a long message -------------------------------------------------------------------

_LONG_ASK_WORDS = 15  # words; a subject out of scope may be context in a message this long
_MIN_PART_WORDS = 4  # shorter pieces are not asks of their own
_MIN_SPLIT_WORDS = 12  # shorter messages are one ask
# Where a second ask may start: sentence ends, and joins that introduce another request.
_SENTENCE = re.compile(r"(?<=[?!.;])\s+|\n+")
_JOIN = re.compile(
    r"(?:^|,?\s+)(?:đồng thời|ngoài ra|bên cạnh đó|thêm nữa|dong thoi|ngoai ra)\s+"
    r"|,\s+(?:và|còn|va|con)"
    r"\s+(?=\w+\s+\w+\s+\w+)",
    re.IGNORECASE,
)
# A piece asks something when it has one of these (folded); other pieces are context ("Tôi là
# trưởng thôn.") and join the ask that follows them.
_ASK_MARK = re.compile(
    r"\b(?:hoi|khong|ko|k|gi|sao|nao|the nao|bao nhieu|bao gio|khi nao|o dau|de nghi|kien nghi|"
    r"muon|can|xin|lam sao|co duoc|duoc khong|chua|ai|dau|may)\b"
)


def split_asks(text: str) -> list[str]:
    """The asks of a long message, in order; a short message is one ask."""
    if len(text.split()) < _MIN_SPLIT_WORDS:
        return [text.strip()]
    pieces = [p.strip(" ,;") for s in _SENTENCE.split(text) for p in _JOIN.split(s)]
    asks: list[str] = []
    context = ""
    for piece in filter(None, pieces):
        joined = f"{context} {piece}".strip()
        if len(piece.split()) < _MIN_PART_WORDS or not _ASK_MARK.search(normalize(joined)):
            context = joined
            continue
        asks.append(joined)
        context = ""
    if context:
        if asks:
            asks[-1] = f"{asks[-1]} {context}"
        else:
            asks.append(context)
    return asks or [text.strip()]


# --- the answerer ------------------------------------------------------------------------------

_GIBBERISH_SHARE = 0.5  # below this share of word-like tokens, a message is not language


class Answerer:
    """Analyse typed messages against the search index and the pages' texts."""

    def __init__(self, index: SearchIndex, pages: dict[str, str] | None = None) -> None:
        """Use `index` to rank and `pages` (topic id → Vietnamese text) to check facts."""
        self._index = index
        self._pages = pages or {}

    def analyse(self, text: str, limit: int = 5) -> Analysis:
        """Read a whole message: danger, small talk, gibberish, scope, pages, parts."""
        urgent = detect_urgent(text)
        talk = None if urgent else small_talk(text)
        main = self.ask(text, limit)
        gibberish = (
            urgent is None
            and talk is None
            and main.out_of_scope in (None, OutOfScope.uncovered)
            and not main.confident
            and self._index.word_share(text) < _GIBBERISH_SHARE
        )
        if main.out_of_scope is OutOfScope.uncovered and (urgent or talk or gibberish):
            # answered as danger, small talk or not understood: not as a subject left out
            main = replace(main, out_of_scope=None)
        asks = split_asks(text)
        parts = tuple(self.ask(piece, limit) for piece in asks) if len(asks) > 1 else (main,)
        return Analysis(text, main, parts, urgent=urgent, small_talk=talk, gibberish=gibberish)

    def _out_of_scope(self, folded: str, hits: tuple[SearchHit, ...]) -> OutOfScope | None:
        """The subject out of scope, unless a page the rest of the question points to answers.

        "căn cước" is a subject Loa does not cover, but "does Loa keep my identity card
        number?" is about Loa's page on data, which names identity cards among its keywords:
        when the rest of the question points clearly to that page, the page answers.
        """
        found = _out_of_scope_words(folded) or _out_of_scope_words(self._index.reading(folded))
        if found is None:
            return None
        subject, words, rest = found
        if not hits:
            return subject
        # In a long message the words may be context ("nhà tôi chưa có sổ đỏ, …"): the rest of
        # it can still point clearly to a page.
        context = len(folded.split()) >= _LONG_ASK_WORDS
        if not context and not all(self._index.names(hits[0].topic_id, w) for w in words):
            return subject
        others = self._index.search(rest, limit=3)
        if others and others[0].topic_id == hits[0].topic_id and self._index.is_confident(others):
            return None
        return subject

    def ask(self, text: str, limit: int = 5) -> Ask:
        """Read one ask: its ranking, whether it is clear, its scope and the fact it wants."""
        hits = tuple(self._index.search(text, limit=limit))
        # a subject named only as the reason for the ask is not what is asked
        subject = self._out_of_scope(without_reasons(text), hits)
        if subject is None and self._index.uncovered(text, hits):
            subject = OutOfScope.uncovered
        confident = subject is None and self._index.is_confident(hits)
        fact = asked_fact(text)
        page = self._pages.get(hits[0].topic_id) if hits else None
        found = fact is None or (page is not None and states_fact(page, fact))
        return Ask(text, hits, confident, fact, found, subject)
