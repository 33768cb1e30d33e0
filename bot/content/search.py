"""Free-text search over content topics, built for how villagers type on phones.

Queries usually come without diacritics, with typos, chat spellings ("ko", "dc", "j"), Telex
keystrokes left in ("nhaf owr") and missing spaces ("hotrolamnha"). How it works:

- Index: every page (all languages) is folded (lower case, no diacritics, đ→d) and cut into
  phrases at punctuation; syllables and syllable bigrams are posted per topic with a field
  strength (title > keyword > heading/bold > body). Bigrams matter because Vietnamese words are
  mostly two syllables: they are what separates "nhà ở" from "nhà trường". Whole title and
  keyword phrases are posted too.
- Query: tokens are rewritten (chat table, numbers with units, Telex), run-together text is split
  by dynamic programming over the index's words and Vietnamese syllable shapes, unknown words get
  fuzzy readings (SymSpell deletions, edit distance by length) that count only as much as their
  neighbours confirm them; question formulas and particles are set aside.
- Score: the IDF-weighted share of the query's syllables, bigrams and phrases that a topic
  covers, so it lies in 0..1 and is comparable across queries; words the index has never seen
  still count as asked, and vague queries are damped. A syllable counts fully only on pages
  that have the word the query makes of it ("thanh" of "thanh niên" is not that of "phát
  thanh"); in a long message, a clause giving a reason ("… vì học sinh không đến trường được")
  weighs less than the ask.
- Confidence: a direct answer needs a good score, a clear lead, and a page that matches a fair
  share of the question's words; a question the pages match only in small part, or mostly in
  words no page uses, is not covered (`uncovered`).
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["SearchDoc", "SearchHit", "SearchIndex", "normalize", "without_reasons"]


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """One content page in one language, as the index sees it."""

    topic_id: str
    lang: str
    title: str
    keywords: tuple[str, ...]
    body: str
    parent: str | None = None  # the topic this page is a part of


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One topic found for a query; `score` is in 0..1 and comparable across queries."""

    topic_id: str
    score: float
    title: str
    # Share of the question's content words the page matches (a direct answer needs more
    # than one of several words: "tiền nước mấy tháng nay" is not about the report schedule).
    words: float = 1.0


# ---------------------------------------------------------------------------------------------
# Normalisation

# Letters that Unicode does not decompose into base + combining mark.
_FOLD = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ƀ": "b", "Ƀ": "b", "ı": "i"})
# Apostrophes inside names ("Ia H'Drai") are dropped, not turned into spaces: people type "hdrai".
_APOSTROPHE = re.compile(r"(?<=\w)['’ʼ`´](?=\w)")
_NON_WORD = re.compile(r"[\W_]+")
# The Unicode blocks of combining marks (tones, breves, hooks, horns, dots).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


_PIECE = re.compile(r"[^\W\d_]+|\d+")
# Vietnamese never doubles a letter three times: "vayyy", "nhaaa" are emphasis.
_RUN = re.compile(r"([^\W\d_])\1{2,}")


def normalize(text: str) -> str:
    """Lower-case, strip diacritics (đ→d), drop punctuation and collapse spaces."""
    return " ".join(_NON_WORD.sub(" ", _fold(text)).split())


def without_reasons(text: str) -> str:
    """A long message, normalised, without its clauses that give reasons ("… vì …").

    What a message asks is in its other clauses: "đề nghị làm đường vì học sinh không đến
    trường được" asks for a road, not about school.
    """
    phrases = _split_phrases(_fold(text[:_MAX_QUERY_CHARS]))
    if sum(len(p) for p in phrases) < _LONG_MESSAGE:
        return normalize(text)
    return " ".join(" ".join(p[: _reason_starts(p)]) for p in phrases).strip()


def _fold(text: str) -> str:
    """Lower-case, strip diacritics and letter runs, keeping punctuation (phrase breaks)."""
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.translate(_FOLD)))
    return _RUN.sub(r"\1", _APOSTROPHE.sub("", text.translate(_FOLD).casefold()))


def _raw_tokens(text: str) -> list[str]:
    """Normalised tokens, with letters and digits split apart ("40tr" → "40", "tr")."""
    return _PIECE.findall(_fold(text))


# ---------------------------------------------------------------------------------------------
# Vietnamese syllable shapes (without tones), to tell words from run-together text and noise.

# fmt: off
# (compact word tables read better than one word per line)
_ONSETS = (
    "", "b", "c", "ch", "d", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh",
    "p", "ph", "q", "qu", "r", "s", "t", "th", "tr", "v", "x",
)
_RHYMES = (
    "a", "ac", "ach", "ai", "am", "an", "ang", "anh", "ao", "ap", "at", "au", "ay", "e", "ec",
    "ech", "em", "en", "eng", "enh", "eo", "ep", "et", "eu", "i", "ia", "ich", "iec", "iem", "ien",
    "ieng", "iep", "iet", "ieu", "im", "in", "inh", "ip", "it", "iu", "o", "oa", "oac", "oach",
    "oai", "oam", "oan", "oang", "oanh", "oao", "oap", "oat", "oay", "oc", "oe", "oec", "oem",
    "oen", "oeo", "oet", "oi", "om", "on", "ong", "ooc", "oong", "op", "ot", "u", "ua", "uan",
    "uang", "uat", "uay", "uc", "ue", "uech", "uenh", "ui", "um", "un", "ung", "uo", "uoc", "uoi",
    "uom", "uon", "uong", "uop", "uot", "uou", "up", "ut", "uu", "uy", "uya", "uych", "uyen",
    "uyet", "uynh", "uyp", "uyt", "uyu", "y", "yem", "yen", "yet", "yeu",
)
# fmt: on
_SYLLABLES: frozenset[str] = frozenset({o + r for o in _ONSETS for r in _RHYMES} | {"gi"})
_VOWELS = frozenset("aeiouy")

# ---------------------------------------------------------------------------------------------
# Chat spellings and abbreviations, as token rewrites (keys are normalised).

# fmt: off
_CHAT: Mapping[str, tuple[str, ...]] = MappingProxyType({
    **dict.fromkeys(("ko", "k", "kg", "kh", "khg", "khog", "khom", "khum", "hok", "hk", "hem"),
                    ("khong",)),
    **dict.fromkeys(("dc", "dk", "dx", "dduoc"), ("duoc",)),
    **dict.fromkeys(("j", "ji", "gj"), ("gi",)),
    "ntn": ("nhu", "the", "nao"), "ntnao": ("nhu", "the", "nao"),
    "lsao": ("lam", "sao"), "lm": ("lam",),
    **dict.fromkeys(("bn", "bnh", "bnhieu", "bnhiu", "baonhiu"), ("bao", "nhieu")),
    "vs": ("voi",), "ng": ("nguoi",), "ngta": ("nguoi", "ta"), "nc": ("nuoc",),
    **dict.fromkeys(("mk", "mik", "mjk", "mh"), ("minh",)),
    **dict.fromkeys(("cx", "cg", "cug"), ("cung",)),
    "trc": ("truoc",), "ns": ("noi",), "bt": ("biet",), "bik": ("biet",), "pik": ("biet",),
    "r": ("roi",), "t": ("toi",), "tui": ("toi",), "mng": ("moi", "nguoi"),
    "vk": ("vo",), "ck": ("chong",), "bme": ("bo", "me"),
    "hs": ("hoc", "sinh"), "gv": ("giao", "vien"), "sv": ("sinh", "vien"), "bs": ("bac", "si"),
    "sdt": ("so", "dien", "thoai"), "dthoai": ("dien", "thoai"), "lq": ("lien", "quan"),
    "ib": ("nhan", "tin"), "inb": ("nhan", "tin"), "tl": ("tra", "loi"), "trl": ("tra", "loi"),
    "hnay": ("hom", "nay"), "hqua": ("hom", "qua"), "hum": ("hom",), "thui": ("thoi",),
    "lun": ("luon",), "iu": ("yeu",), "wa": ("qua",), "z": ("vay",), "zay": ("vay",),
    "thik": ("thich",), "nhiu": ("nhieu",), "mun": ("muon",), "dzay": ("vay",), "ad": ("admin",),
    "tks": ("cam", "on"), "thanks": ("cam", "on"), "thank": ("cam", "on"),
})

# Rewrites applied only when the token is not a word of the indexed content: "hong" is "hông"
# (không) in chat but "hỏng" (broken) in "nhà hư hỏng"; "mn" is "mọi người" or "miền núi".
_CHAT_IF_UNKNOWN: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "hong": ("khong",), "mn": ("moi", "nguoi"), "bh": ("bao", "gio"), "bit": ("biet",),
    "e": ("em",), "m": ("minh",), "b": ("ban",),
    # Domain acronyms, expanded when the content itself does not use them.
    "dtts": ("dan", "toc", "thieu", "so"), "mtqg": ("muc", "tieu", "quoc", "gia"),
    "ct": ("chuong", "trinh"), "ctmtqg": ("chuong", "trinh", "muc", "tieu", "quoc", "gia"),
    "nhcs": ("ngan", "hang", "chinh", "sach"),
    "nhcsxh": ("ngan", "hang", "chinh", "sach", "xa", "hoi"),
    "csxh": ("chinh", "sach", "xa", "hoi"), "ubnd": ("uy", "ban", "nhan", "dan"),
    "hdnd": ("hoi", "dong", "nhan", "dan"), "mttq": ("mat", "tran", "to", "quoc"),
    "ntm": ("nong", "thon", "moi"), "ktxh": ("kinh", "te", "xa", "hoi"), "kt": ("kinh", "te"),
    "xh": ("xa", "hoi"), "bhyt": ("bao", "hiem", "y", "te"),
    "cntt": ("cong", "nghe", "thong", "tin"),
    "cds": ("chuyen", "doi", "so"), "ldtbxh": ("lao", "dong", "thuong", "binh", "xa", "hoi"),
    "qd": ("quyet", "dinh"), "nq": ("nghi", "quyet"), "nd": ("nghi", "dinh"),
    "bdg": ("binh", "dang", "gioi"), "sdd": ("suy", "dinh", "duong"),
    "ptdtnt": ("pho", "thong", "dan", "toc", "noi", "tru"),
    "ptdtbt": ("pho", "thong", "dan", "toc", "ban", "tru"), "dtnt": ("dan", "toc", "noi", "tru"),
    "dbkk": ("dac", "biet", "kho", "khan"), "tdc": ("tai", "dinh", "cu"),
    "tkvv": ("tiet", "kiem", "vay", "von"), "ubdt": ("uy", "ban", "dan", "toc"),
    "lhpn": ("lien", "hiep", "phu", "nu"), "hpn": ("hoi", "phu", "nu"),
    "cccd": ("can", "cuoc", "cong", "dan"), "cmnd": ("chung", "minh", "nhan", "dan"),
    "hgd": ("ho", "gia", "dinh"), "bcd": ("ban", "chi", "dao"),
    "dvhc": ("don", "vi", "hanh", "chinh"),
})

# Chat keys that are also ordinary syllable endings: "thing" is a typo, not "thi" + "ng".
_NOT_PIECES = frozenset({"ng", "nh", "ch"})

# Units that only mean something next to a number: "40tr", "500k", "2 ty".
_NUMBER_UNITS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "tr": ("trieu",), "k": ("nghin",), "ngh": ("nghin",), "d": ("dong",), "h": ("gio",),
})

# Question words, politeness and chatter: they say how to ask, not what about. They still take
# part in bigrams ("nhà ở" needs "ở", "cho vay" needs "cho"), just not as terms of their own.
# Syllables that are also parts of content words ("đề án", "bảo vệ", "di dân", "tự do", "quà Tết")
# are left out on purpose: IDF already makes the frequent ones weightless. "em" stays: "cho em
# hỏi", "nhà em" are far commoner in chat than "trẻ em", which its bigram still finds.
_STOP = frozenset((
    "o", "a", "ah", "ak", "hi", "hj", "oi", "alo", "ad", "admin", "bot", "u", "uh", "uk", "um",
    "ok", "oke", "okie", "oki", "vang", "da", "thi", "ma", "la", "va", "voi", "cua", "toi", "tui",
    "minh", "em", "ong", "chau", "bac", "co", "cai", "khong", "duoc", "chua", "roi", "dang", "se",
    "vua", "gi", "nao", "sao", "nhu", "ai", "ay", "kia", "nay", "hom", "nhung", "cac", "mot",
    "xin", "chao", "muon", "phai", "nen", "hay", "hoac", "neu", "khi", "den", "ra", "vao", "len",
    "xuong", "cung", "nua", "luon", "boi", "cho", "may", "gio", "bi",
))

# Sentence-final particles that are content words elsewhere: "nhé" / "nhẹ cân", "hả" / "hạ tầng".
_PARTICLES = frozenset(("nhe", "nhen", "nghen", "ha", "ne", "nhi"))

# Multi-word fillers whose words are all set aside, wherever they appear.
_FILLERS: tuple[tuple[str, ...], ...] = tuple(tuple(p.split()) for p in (
    "cho toi hoi", "cho em hoi", "cho hoi", "xin hoi", "nhu the nao", "the nao", "nhu nao",
    "ra sao", "la gi", "la sao", "lam sao", "lam the nao", "o dau", "thuoc dau", "tu dau",
    "di dau", "bao nhieu tien", "bao nhieu", "bao gio", "khi nao", "luc nao", "tai sao",
    "vi sao", "duoc khong", "co khong", "co phai", "phai khong", "dung khong", "cam on",
    "vui long", "lam on", "xin chao", "chao ban", "ban oi", "muon biet", "muon hoi", "hom nay",
    "the la", "co the", "lam gi", "sau khi", "truoc khi", "nao vay", "gi vay", "sao vay",
    "khong vay", "dau vay", "ai vay", "chua vay", "bao lau", "tim hieu", "giup toi", "giup em",
    "khong hieu",
    # Formulas of formal letters, readers' questions and voters' petitions: "cử tri kiến nghị
    # tiếp tục quan tâm…" says how a request is made, not what it is about.
    "cu tri", "kien nghi", "de nghi", "xin hoi", "cho biet", "tiep tuc", "tang cuong",
    "quan tam", "xem xet", "lam tot", "hien nay", "van con", "tinh trang", "som co",
    "nghiem trong", "dong thoi", "ngoai ra", "ben canh do", "co the", "theo quy dinh",
    "de nghi cap tren", "chinh quyen dia phuong", "dia phuong", "nguoi dan", "ba con",
    # The name of the whole field: every question here is about ethnic-minority people, so
    # saying it tells no page from another ("đồng bào dân tộc thiểu số" as a question's context).
    "dong bao dan toc thieu so", "vung dong bao dan toc thieu so", "dan toc thieu so",
    "vung dong bao",
))
# fmt: on

# ---------------------------------------------------------------------------------------------
# Weights (tuned on the project's own evaluation set; see tests/test_search.py).

_FIELD_TITLE = 1.0
_FIELD_KEYWORD = 0.9
_FIELD_HEADING = 0.55
_FIELD_BODY = 0.3
_PASSING_DF = 0.6  # a body-only mention counts as this much of a document
_BODY_TF_GAIN = 0.15  # extra body strength from repeated mentions, saturating
_STOP_PAIR_SHARE = 0.5  # a pair with a function word counts this share of its word
_ORPHAN_SHARE = 0.5  # a syllable that pairs with none of its neighbours
_ORPHAN_COMMON_IDF = 2.0  # orphans this common count at _ORPHAN_SHARE…
_ORPHAN_RARE_SPAN = 1.0  # …rising to full weight this much rarer
_LOOSE_SHARE = 0.5  # a syllable found on a page only outside the word the query makes of it
_PHRASE_WEIGHT = 0.5  # share of its words' weight a whole matched phrase adds
_MAX_PHRASE = 6
_UNKNOWN_WEIGHT = 2.0  # a content word the index has never seen still counts as asked
_REF_WEIGHT = 2.0  # queries carrying less IDF mass than this are too vague to trust
_UNCOVERED_SCORE = 0.25  # a question the best page matches less than this is not covered…
_UNCOVERED_WORDS = 3  # …when it has at least this many content words
_UNCOVERED_UNKNOWN_SCORE = 0.4  # below this, a question mostly in words no page uses…
_UNCOVERED_UNKNOWN_SHARE = 0.25  # …(this share of its weight) is not covered either
_MIN_SCORE = 0.04  # below this a hit is noise
_PART_SHARE = 0.95  # a part scoring this share of its whole's score is preferred to the whole
_CONFIDENT_SCORE = 0.55  # confidence rule, calibrated on tests/data/search-eval.yaml
_CONFIDENT_MARGIN = 0.1
_CONFIDENT_WORDS = 0.4  # …and the winner must match this share of the question's words
_RIVAL_SHARE = 0.5  # no direct answer when a runner-up this close matches more words
_WORD_MATCH = 0.25  # a word counts as matched by a page giving it this share of its weight
_CONFIDENT_LEAD = 0.3  # the runner-up must score at most 70 % of the winner…
_CONFIDENT_HIGH = 0.9
_CONFIDENT_LEAD_HIGH = 0.2  # …or 80 % of a winner that matches nearly all of the query

_LONG_MESSAGE = 12  # words; from here a message may carry reasons besides its ask
_REASON_WEIGHT = 0.4  # share of weight of a word in a clause giving a reason

_MAX_QUERY_CHARS = 2000
_MAX_QUERY_TOKENS = 80  # far more than the longest real question
_MAX_FUZZY_LEN = 12  # longer tokens are run-together text, not misspelt words
_MAX_FUZZY_RUN = 16  # run-together tokens short enough to also try typo'd pieces
_MAX_RUN = 160  # longest run-together token we try to split
_SURE_TYPO = 0.8  # doubled or swapped letters: a slip, whatever else it could be
_CLOSE_TYPO = 0.6  # edit confidence of a typo we trust more than a doubtful split
_MAX_PIECE = 7  # the longest Vietnamese syllable ("nghieng") has 7 letters
# Costs of pieces in a run-together split: an indexed word costs about 1, a word that merely
# looks Vietnamese more, an unknown piece most; two pieces the index has seen side by side
# ("vay von") earn a bonus.
_SHAPED_PIECE = 1.4
_UNKNOWN_PIECE = 3.0
_PAIR_BONUS = 0.5


@dataclass(frozen=True, slots=True)
class _Reading:
    """One way to read a query slot: a term and how sure we are that the user meant it."""

    term: str
    conf: float
    exact: bool


@dataclass(slots=True)
class _Slot:
    """One word position of a query, with its candidate readings."""

    readings: list[_Reading]
    stop: bool
    surface: str
    weight: float = 1.0  # less in a clause that gives a reason rather than the ask


@dataclass(frozen=True, slots=True)
class _Unit:
    """A query unit (a term slot or a pair of slots) ready for scoring."""

    weight: float
    options: tuple[tuple[str, float], ...]  # (term, conf·idf) alternatives
    # Bigrams the syllable forms with its neighbours in the query ("thanh" in "thanh niên"):
    # a page that has the syllable only in other words ("phát thanh") earns a share of it.
    bound: frozenset[str] = frozenset()
    word: bool = False  # one content word of the query (not a pair or a phrase)


class SearchIndex:
    """Ranks content topics for a free-text question; build once, query many times."""

    __slots__ = (
        "_acronyms",
        "_bigrams",
        "_deletes",
        "_freq",
        "_idf",
        "_named",
        "_parents",
        "_postings",
        "_titles",
        "_topics",
        "_vocab",
    )

    def __init__(
        self,
        topics: list[str],
        titles: list[str],
        postings: dict[str, list[tuple[int, float]]],
        idf: dict[str, float],
        freq: dict[str, int],
        deletes: dict[str, list[str]],
        acronyms: dict[str, tuple[str, ...]],
        parents: dict[int, int] | None = None,
    ) -> None:
        """Hold a built index; use `SearchIndex.build`."""
        self._topics = topics
        self._titles = titles
        self._postings = postings
        self._idf = idf
        self._freq = freq
        self._vocab = frozenset(freq)
        self._bigrams = frozenset(k for k in postings if " " in k)
        # Bigrams of titles and keywords: how pages name themselves.
        self._named = frozenset(
            k for k in self._bigrams if any(s >= _FIELD_KEYWORD for _, s in postings[k])
        )
        self._deletes = deletes
        self._acronyms = acronyms
        self._parents = parents or {}

    # -----------------------------------------------------------------------------------------
    # Building

    @classmethod
    def build(cls, docs: Iterable[SearchDoc]) -> SearchIndex:
        """Index every page of every language; results are per topic."""
        topic_ids: list[str] = []
        topic_no: dict[str, int] = {}
        titles: dict[str, tuple[bool, str]] = {}
        # term → topic → field strengths seen
        strengths: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
        freq: dict[str, int] = defaultdict(int)
        phrase_count: dict[tuple[str, ...], int] = defaultdict(int)
        # whole title and keyword phrases ("dân tộc ít người") → topic → field strength
        whole: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for doc in docs:
            if doc.topic_id not in topic_no:
                topic_no[doc.topic_id] = len(topic_ids)
                topic_ids.append(doc.topic_id)
            t = topic_no[doc.topic_id]
            is_vi = doc.lang == "vi"
            if doc.topic_id not in titles or (is_vi and not titles[doc.topic_id][0]):
                titles[doc.topic_id] = (is_vi, doc.title)
            for phrase, strength in _fields(doc):
                for term in _terms(phrase):
                    strengths[term][t].append(strength)
                if strength >= _FIELD_KEYWORD and 2 <= len(phrase) <= _MAX_PHRASE:
                    whole[_phrase_key(phrase)][t] = max(whole[_phrase_key(phrase)][t], strength)
                for tok in phrase:
                    freq[tok] += 1
                if strength >= _FIELD_HEADING:
                    # Acronym-worthy names ("bảo hiểm y tế") are in titles, keywords, headings.
                    _count_phrases(phrase, phrase_count)
        n = len(topic_ids)
        postings: dict[str, list[tuple[int, float]]] = {}
        idf: dict[str, float] = {}
        for term, per_topic in strengths.items():
            postings[term] = [(t, _combine(values)) for t, values in per_topic.items()]
            # A page that only mentions a word in passing counts as part of a page, so words that
            # name one topic but are mentioned everywhere ("uy tín", "Ia Tơi") keep some weight.
            df = sum(1.0 if max(v) > _FIELD_BODY else _PASSING_DF for v in per_topic.values())
            idf[term] = _idf(n, df)
        for key, per_topic_strength in whole.items():
            postings[key] = list(per_topic_strength.items())
        vocab = {w for w in freq if not w.isdigit()}
        parents = {
            topic_no[doc.topic_id]: topic_no[doc.parent] for doc in docs if doc.parent in topic_no
        }
        return cls(
            topics=topic_ids,
            titles=[titles[tid][1] for tid in topic_ids],
            postings=postings,
            idf=idf,
            freq=dict(freq),
            deletes=_deletion_index(vocab),
            acronyms=_acronym_table(phrase_count),
            parents=parents,
        )

    # -----------------------------------------------------------------------------------------
    # Searching

    def search(self, query: str, limit: int = 5) -> list[SearchHit]:
        """Rank topics for `query`, best first, one hit per topic; [] for empty or noise."""
        if limit <= 0 or not self._topics:
            return []
        slots = self._read(query)
        units = self._units(slots)
        total = sum(u.weight for u in units)
        if total <= 0.0:
            return []
        gained: dict[int, float] = defaultdict(float)
        matched: dict[int, int] = defaultdict(int)  # content words each topic matches
        words = sum(1 for unit in units if unit.word)
        for unit in units:
            best: dict[int, float] = {}
            for term, value in unit.options:
                for topic, strength in self._postings.get(term, ()):
                    got = value * strength
                    if got > best.get(topic, 0.0):
                        best[topic] = got
            if unit.bound:
                whole = {t for key in unit.bound for t, _ in self._postings[key]}
                for topic in best:
                    if topic not in whole:
                        best[topic] *= _LOOSE_SHARE
            for topic, got in best.items():
                gained[topic] += got
                if unit.word and got >= _WORD_MATCH * unit.weight:
                    matched[topic] += 1
        # Vague queries ("ho tro", "chuong trinh") carry little IDF mass: damp them.
        vagueness = min(1.0, total / _REF_WEIGHT) ** 0.5
        scored = sorted(
            ((min(1.0, got / total * vagueness), topic) for topic, got in gained.items()),
            key=lambda pair: (-pair[0], pair[1]),
        )
        self._prefer_parts(scored)
        return [
            SearchHit(
                self._topics[topic],
                round(score, 4),
                self._titles[topic],
                round(matched[topic] / words, 4) if words else 1.0,
            )
            for score, topic in scored[:limit]
            if score >= _MIN_SCORE
        ]

    def _prefer_parts(self, scored: list[tuple[float, int]]) -> None:
        """Put a part before its whole when the part answers nearly as well.

        A page with parts (the plan, the programme) shares words with each of them, so a question
        about one part ("mục tiêu của kế hoạch") matches the whole too; the part is the answer.
        The part takes the whole's place and score, the whole the part's.
        """
        if len(scored) < 2:
            return
        top_score, top = scored[0]
        for i, (score, topic) in enumerate(scored[1:], 1):
            if score < top_score * _PART_SHARE:
                return
            if self._parents.get(topic) == top:
                scored[0], scored[i] = (top_score, topic), (score, top)
                return

    def is_confident(self, hits: Sequence[SearchHit]) -> bool:
        """Tell whether hits[0] is safe to show as the answer without asking back."""
        if not hits:
            return False
        top = hits[0].score
        second = hits[1].score if len(hits) > 1 else 0.0
        # A clear winner: good enough on its own, and well ahead of the runner-up both in
        # absolute terms and relative to its own score (a near-complete match needs less lead).
        lead = _CONFIDENT_LEAD_HIGH if top >= _CONFIDENT_HIGH else _CONFIDENT_LEAD
        return (
            top >= _CONFIDENT_SCORE
            and top - second >= _CONFIDENT_MARGIN
            and second <= top * (1.0 - lead)
            and hits[0].words >= _CONFIDENT_WORDS
            # a runner-up that matches more of the question's words is a real alternative
            and not (hits[1:] and hits[1].words > hits[0].words and second >= top * _RIVAL_SHARE)
        )

    def reading(self, query: str) -> str:
        """The words search reads in a message: chat forms, run-together words and slips undone.

        "luonghuu", "lam so do ko" read as "luong huu", "lam so do khong": rules over words
        (the subjects Loa does not cover) can then see them.
        """
        return " ".join(
            slot.readings[0].term if slot.readings else slot.surface for slot in self._read(query)
        )

    def names(self, topic_id: str, words: str) -> bool:
        """Tell whether a page names these words in its title or keywords ("căn cước")."""
        tokens = _raw_tokens(words)
        if topic_id not in self._topics or not tokens:
            return False
        topic = self._topics.index(topic_id)
        terms = [f"{a} {b}" for a, b in itertools.pairwise(tokens)] or tokens
        return all(
            any(
                t == topic and strength >= _FIELD_KEYWORD
                for t, strength in self._postings.get(term, ())
            )
            for term in terms
        )

    def uncovered(self, query: str, hits: Sequence[SearchHit]) -> bool:
        """Tell whether a question says enough, yet no page comes near it.

        A question of several content words that the best page matches only in small part is
        about something the pages do not cover ("con mèo nhà hàng xóm", "thi bằng lái xe"):
        better said plainly than answered with the nearest page.
        """
        top = hits[0].score if hits else 0.0
        if top >= _UNCOVERED_UNKNOWN_SCORE:
            return False
        slots = self._read(query)
        content = sum(1 for slot in slots if not slot.stop and len(slot.surface) >= 2)
        if content < _UNCOVERED_WORDS:
            return False
        if top < _UNCOVERED_SCORE:
            return True
        # Words no page uses ("wifi", "covid", "phân bón") are what a question is about when
        # the pages match it only in part.
        units = self._units(slots)
        unknown = sum(u.weight for u in units if not u.options)
        return unknown >= _UNCOVERED_UNKNOWN_SHARE * sum(u.weight for u in units)

    def word_share(self, query: str) -> float:
        """Share of a message's tokens that read as words (1.0 for a message without any).

        Gibberish ("asdkjh qwe zzz") still gets weak fuzzy hits; this tells it from a question:
        a word is indexed, shaped like a Vietnamese syllable, a number, or a known chat form.
        """
        tokens = _raw_tokens(query[:_MAX_QUERY_CHARS])
        if not tokens:
            return 1.0
        known = sum(
            1
            for tok in tokens
            if tok.isdigit()
            or tok in _VOWELS
            or (
                len(tok) > 1
                and (
                    self._freq.get(tok, 0) >= 2  # once is likely a name or a code
                    or tok in _CHAT
                    or tok in _CHAT_IF_UNKNOWN
                    or tok in _SYLLABLES
                    or self._segment(tok, index_only=True) is not None
                )
            )
        )
        return known / len(tokens)

    # -----------------------------------------------------------------------------------------
    # Reading a query into slots

    def _read(self, query: str) -> list[_Slot]:
        """Turn the query into word slots with weighted readings."""
        words: list[tuple[str, bool, float]] = []  # (term, exact, conf)
        weights: list[float] = []
        ends: set[int] = set()  # positions of words that end a sentence or clause
        budget = _MAX_QUERY_TOKENS  # a pasted page must not cost more than a long question
        phrases = _split_phrases(_fold(query[:_MAX_QUERY_CHARS]))
        long_message = sum(len(p) for p in phrases) >= _LONG_MESSAGE
        for phrase in phrases:
            tokens = self._merge_split_words(phrase[:budget])
            budget -= len(tokens)
            if not tokens:
                break
            reason = _reason_starts(tokens) if long_message else len(tokens)
            for i, tok in enumerate(tokens):
                near_number = (i > 0 and tokens[i - 1].isdigit()) or (
                    i + 1 < len(tokens) and tokens[i + 1].isdigit()
                )
                read = self._resolve(tok, near_number)
                words.extend(read)
                weights.extend([_REASON_WEIGHT if i >= reason else 1.0] * len(read))
            ends.add(len(words) - 1)
        stops = _mark_fillers([w for w, _, _ in words])
        slots: list[_Slot] = []
        for k, ((term, exact, conf), stop) in enumerate(zip(words, stops, strict=True)):
            # "nhé" closes a sentence; mid-sentence the same letters are "nhẹ" ("nhẹ cân").
            stop = stop or term in _STOP or (term in _PARTICLES and k in ends)
            readings = [_Reading(term, conf, exact=True)] if exact or stop else self._fuzzy(term)
            slots.append(_Slot(readings, stop, term, weights[k]))
        self._settle_fuzzy(slots)
        for slot in slots:
            # "nhnug" read as "nhung" is a function word like any other
            if slot.readings and slot.readings[0].term in _STOP:
                slot.stop = True
        return slots

    def _merge_split_words(self, tokens: list[str]) -> list[str]:
        """Rejoin a word split by a stray space ("h drai" → "hdrai") when the index knows it."""
        out: list[str] = []
        for tok in tokens:
            if out and not tok.isdigit() and not out[-1].isdigit():
                joined = out[-1] + tok
                known = out[-1] in self._vocab and tok in self._vocab
                if joined in self._vocab and not known:
                    out[-1] = joined
                    continue
            out.append(tok)
        return out

    def _resolve(self, tok: str, near_number: bool) -> list[tuple[str, bool, float]]:
        """Read one raw token into terms: (term, exact, conf) triples."""
        if tok.isdigit():
            return [(tok, True, 1.0)]
        if near_number and tok in _NUMBER_UNITS:
            return [(w, True, 1.0) for w in _NUMBER_UNITS[tok]]
        if tok in _CHAT:
            return [(w, True, 1.0) for w in _CHAT[tok]]
        known = tok in self._vocab
        if not known and tok in _CHAT_IF_UNKNOWN:
            return [(w, True, 1.0) for w in _CHAT_IF_UNKNOWN[tok]]
        if known and (tok in _SYLLABLES or len(tok) > 1):
            return [(tok, True, 1.0)]
        if tok in _SYLLABLES or tok in _STOP:
            pieces = self._segment(tok, index_only=True)
            if pieces:
                return [t for p in pieces for t in self._resolve(p, near_number=False)]
            return [(tok, False, 1.0)]
        untelexed = _untelex(tok)
        if untelexed and (untelexed in self._vocab or untelexed in _SYLLABLES):
            return [(untelexed, untelexed in self._vocab, 0.9)]
        if untelexed and (pieces := self._segment(untelexed, index_only=True)):
            return [t for p in pieces for t in self._resolve(p, near_number=False)]
        if len(tok) >= 4 and tok in self._acronyms and sum(c in _VOWELS for c in tok) <= 1:
            return [(w, True, 0.9) for w in self._acronyms[tok]]
        pieces = self._segment(tok, index_only=False)
        if pieces and self._prefer_split(tok, pieces):
            return [t for p in pieces for t in self._resolve(p, near_number=False)]
        return [(tok, False, 1.0)]

    def _prefer_split(self, tok: str, pieces: list[str]) -> bool:
        """Tell a run-together phrase from a typo: "vayvon" is two words, "duung" a slip."""
        if any(f"{a} {b}" in self._bigrams for a, b in itertools.pairwise(pieces)):
            return True
        typo = max((r.conf for r in self._fuzzy(tok)), default=0.0)
        if all(p in self._vocab or p in _CHAT or p in _STOP for p in pieces):
            return typo < _SURE_TYPO
        for i, piece in enumerate(pieces):
            if piece in self._vocab or piece in _CHAT or piece in _STOP or piece in _SYLLABLES:
                continue
            # A misspelt piece ("kiuh" in "kiuhphi") must pair up with a neighbour as a word.
            before = pieces[i - 1] if i > 0 else None
            after = pieces[i + 1] if i + 1 < len(pieces) else None
            if not any(
                (before and f"{before} {r.term}" in self._bigrams)
                or (after and f"{r.term} {after}" in self._bigrams)
                for r in self._fuzzy(piece)
            ):
                return False
        return typo < _CLOSE_TYPO

    def _segment(self, tok: str, *, index_only: bool) -> list[str] | None:
        """Split run-together syllables ("hotrolamnha") by dynamic programming over known words.

        Pieces cost 1 when the index knows them, more when they are merely Vietnamese-shaped or
        unknown; a pair of pieces the index has seen together gets a bonus. `index_only` asks for
        a split into indexed words joined by a known bigram (for tokens that are themselves words).
        """
        n = len(tok)
        if n < 3 or n > _MAX_RUN:
            return None
        # Long run-together messages may hold a few words the index has never seen.
        max_unknown = 1 + n // 15
        inf = float("inf")
        # best[i][piece] = (cost, previous piece, unknown pieces) of the cheapest split of
        # tok[:i] that ends with `piece`
        best: list[dict[str, tuple[float, str | None, int]]] = [{} for _ in range(n + 1)]
        best[0][""] = (0.0, None, 0)
        for i in range(n):
            if not best[i]:
                continue
            for j in range(i + 1, min(n, i + _MAX_PIECE) + 1):
                piece = tok[i:j]
                cost = self._piece_cost(piece, index_only=index_only, fuzzy=n <= _MAX_FUZZY_RUN)
                if cost == inf:
                    continue
                unknown = 1 if cost >= _UNKNOWN_PIECE else 0
                for prev, (prev_cost, _, prev_unknown) in best[i].items():
                    if prev_unknown + unknown > max_unknown:
                        continue
                    total = prev_cost + cost
                    if prev and f"{prev} {piece}" in self._bigrams:
                        total -= _PAIR_BONUS
                    if piece not in best[j] or total < best[j][piece][0]:
                        best[j][piece] = (total, prev, prev_unknown + unknown)
        if not best[n]:
            return None
        last = min(best[n], key=lambda p: best[n][p][0])
        cost = best[n][last][0]
        pieces: list[str] = []
        i, step = n, last
        while step:
            pieces.append(step)
            back = best[i][step][1]
            i -= len(step)
            step = back or ""
        pieces.reverse()
        if len(pieces) < 2:
            return None
        if index_only:
            joined = any(f"{a} {b}" in self._bigrams for a, b in itertools.pairwise(pieces))
            return pieces if joined else None
        whole = (
            _SHAPED_PIECE
            if tok in _SYLLABLES
            else _UNKNOWN_PIECE + max(0, n - _MAX_PIECE) * _PAIR_BONUS
        )
        return pieces if cost < whole else None

    def _piece_cost(self, piece: str, *, index_only: bool, fuzzy: bool = False) -> float:
        """Cost of one piece in a run-together split (inf when not allowed)."""
        single = len(piece) == 1
        if (single and piece not in _VOWELS and piece not in _CHAT) or piece in _NOT_PIECES:
            return float("inf")
        if piece in self._vocab and (piece in _SYLLABLES or len(piece) >= 3):
            # Frequent words are likelier pieces; single vowels ("o", "a") are a last resort.
            return (1.8 if single else 1.0) - 0.1 * min(1.0, math.log1p(self._freq[piece]) / 7)
        if index_only:
            return float("inf")
        if piece in _CHAT or piece in _STOP:
            return 2.2 if single else 1.1
        if piece in _SYLLABLES:
            return 2.4 if single else _SHAPED_PIECE
        if fuzzy and len(piece) >= 3 and self._fuzzy(piece):
            return 1.9  # a typo inside run-together text ("kiuhphi")
        return _UNKNOWN_PIECE if len(piece) >= 2 else float("inf")

    def _fuzzy(self, term: str) -> list[_Reading]:
        """Indexed words within a small edit distance of an unknown word, as weaker readings."""
        n = len(term)
        if n < 3 or n > _MAX_FUZZY_LEN or term.isdigit():
            return []
        max_dist = 1 if n < 6 else 2
        candidates: set[str] = set(self._deletes.get(term, ()))
        for variant in _deletions(term, max_dist):
            candidates.update(self._deletes.get(variant, ()))
            if variant in self._vocab:
                candidates.add(variant)
        readings: list[tuple[float, int, str]] = []
        for cand in candidates:
            if abs(len(cand) - n) > max_dist or len(cand) < 2 or cand.isdigit():
                continue
            dist = _osa_distance(term, cand, max_dist)
            if dist > max_dist or dist > (1 if len(cand) < 6 else 2):
                continue
            conf = _edit_confidence(term, cand, dist)
            readings.append((conf, self._freq.get(cand, 0), cand))
        readings.sort(reverse=True)
        return [_Reading(c, conf, False) for conf, _, c in readings[:6]]

    def _settle_fuzzy(self, slots: list[_Slot]) -> None:
        """Trust a fuzzy reading more when it forms a known bigram with a neighbour.

        Vietnamese syllables are short, so "hoa" is one edit from a dozen words; the neighbour
        ("hoa tro" → "ho tro") is what tells which one was meant.
        """
        for i, slot in enumerate(slots):
            if not slot.readings or slot.readings[0].exact:
                continue
            shaped = slot.surface in _SYLLABLES
            before = slots[i - 1].readings if i > 0 else []
            after = slots[i + 1].readings if i + 1 < len(slots) else []
            settled: list[_Reading] = []
            for r in slot.readings:
                if shaped and not _plausible_slip(slot.surface, r.term):
                    # A real syllable is read as another only for a slip of the fingers: "hoa
                    # tro" is "hỗ trợ", but "mái nhà" is not "tại nhà".
                    continue
                support = any(
                    f"{a.term} {r.term}" in self._bigrams for a in before if a.exact
                ) + any(f"{r.term} {b.term}" in self._bigrams for b in after if b.exact)
                if support:
                    conf = min(0.9, r.conf * (1.0 if shaped else 1.5**support))
                elif shaped:
                    # A real word the index lacks ("gầy", "cháu"): a typo only if context says so.
                    continue
                elif len(slot.surface) <= 4:
                    conf = r.conf * 0.6
                else:
                    conf = r.conf
                settled.append(_Reading(r.term, conf, exact=False))
            slot.readings = sorted(settled, key=lambda r: -r.conf)[:4]

    def _units(self, slots: list[_Slot]) -> list[_Unit]:
        """Query units: each content slot, and each adjacent pair the index has seen together."""
        units: list[_Unit] = []
        for i, slot in enumerate(slots):
            if slot.stop:
                continue
            # Adjacent syllables usually make one word: when a syllable pairs with none of its
            # neighbours in the index ("thời tiết" → "thời", "tiết"), its matches are likely
            # parts of other words ("thời gian", "tiết kiệm") and count for less.
            share = self._orphan_share(slot) if self._orphan(slots, i) else 1.0
            options = tuple(
                (r.term, share * r.conf * self._idf[r.term])
                for r in slot.readings
                if r.term in self._idf
            )
            if options:
                # The slot weighs what its likeliest reading's word weighs, so a guess earns
                # only its confidence's share.
                term, _ = max(options, key=lambda option: option[1])
                w = slot.weight
                options = tuple((t, v * w) for t, v in options)
                units.append(_Unit(w * self._idf[term], options, self._bound(slots, i), True))
            elif len(slot.surface) >= 2:
                units.append(_Unit(slot.weight * _UNKNOWN_WEIGHT, (), word=True))
        units.extend(self._phrase_units(slots))
        for left, right in itertools.pairwise(slots):
            # Two question words ("cái gì", "hỏi ai", "năm nào") say nothing, unless a page
            # names itself by them: the plan's parts answer "what", "why", "until when".
            both_stop = left.stop and right.stop
            if both_stop and not any(
                f"{a.term} {b.term}" in self._named for a in left.readings for b in right.readings
            ):
                continue
            pairs: list[tuple[str, float]] = []
            for a in left.readings:
                for b in right.readings:
                    key = f"{a.term} {b.term}"
                    if key in self._idf:
                        # A bigram is rare almost by definition; capping it by its words keeps
                        # chance junctions ("kế hoạch | tuyên truyền") from outweighing words.
                        # Pairs with a function word ("nhà ở", "cho vay", "có chương") are
                        # phrases or junctions; they count at most half their content word.
                        if both_stop:
                            idf = _STOP_PAIR_SHARE * self._idf[key]
                        elif left.stop or right.stop:
                            word = b.term if left.stop else a.term
                            idf = _STOP_PAIR_SHARE * min(self._idf[key], self._idf.get(word, 0.0))
                        else:
                            idf = min(
                                self._idf[key],
                                self._idf.get(a.term, 0.0) + self._idf.get(b.term, 0.0),
                            )
                        pairs.append((key, a.conf * b.conf * idf * min(left.weight, right.weight)))
            if pairs:
                units.append(_Unit(max(v for _, v in pairs), tuple(pairs)))
        return units

    def _bound(self, slots: list[_Slot], i: int) -> frozenset[str]:
        """Known bigrams slot i forms with its content neighbours: the word it is part of."""
        keys: set[str] = set()
        for j in (i - 1, i + 1):
            if not 0 <= j < len(slots) or slots[j].stop:
                continue
            left, right = (slots[j], slots[i]) if j < i else (slots[i], slots[j])
            keys.update(
                key
                for a in left.readings
                for b in right.readings
                if (key := f"{a.term} {b.term}") in self._bigrams
            )
        return frozenset(keys)

    def _orphan_share(self, slot: _Slot) -> float:
        """What an orphan syllable's matches are worth: rare words ("chiêng") stand alone."""
        idf = max((self._idf.get(r.term, 0.0) for r in slot.readings), default=0.0)
        rarity = min(1.0, max(0.0, (idf - _ORPHAN_COMMON_IDF) / _ORPHAN_RARE_SPAN))
        return _ORPHAN_SHARE + (1.0 - _ORPHAN_SHARE) * rarity

    def _orphan(self, slots: list[_Slot], i: int) -> bool:
        """Tell whether slot i has content neighbours but forms a known bigram with none."""
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(slots)]
        if all(slots[j].stop for j in neighbours):
            return False
        for j in neighbours:
            left, right = (slots[j], slots[i]) if j < i else (slots[i], slots[j])
            if any(
                f"{a.term} {b.term}" in self._bigrams
                for a in left.readings
                for b in right.readings
            ):
                return False
        return True

    def _phrase_units(self, slots: list[_Slot]) -> Iterable[_Unit]:
        """A whole title or keyword phrase said in the query is worth more than its words."""
        terms = [slot.readings[0].term if slot.readings else slot.surface for slot in slots]
        for start in range(len(terms) - 1):
            for size in range(2, min(_MAX_PHRASE, len(terms) - start) + 1):
                words = terms[start : start + size]
                key = _phrase_key(words)
                if key in self._postings:
                    share = min(slot.weight for slot in slots[start : start + size])
                    weight = share * _PHRASE_WEIGHT * sum(self._idf.get(w, 0.0) for w in words)
                    yield _Unit(weight, ((key, weight),))


# ---------------------------------------------------------------------------------------------
# Helpers


def _phrase_key(words: Sequence[str]) -> str:
    """Posting key of a whole phrase (distinct from bigram keys, which use a space)."""
    return "|".join(words)


def _idf(n: int, df: float) -> float:
    """Inverse document frequency over `n` topics, positive even for words every topic has."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5)) if df else 0.0


def _fields(doc: SearchDoc) -> Iterable[tuple[list[str], float]]:
    """Phrases of a page with their field strength; punctuation ends a phrase."""
    for part in _split_phrases(_fold(doc.title)):
        yield part, _FIELD_TITLE
    for keyword in doc.keywords:
        for part in _split_phrases(_fold(keyword)):
            yield part, _FIELD_KEYWORD
    for line in _fold(doc.body).splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            for part in _split_phrases(stripped.lstrip("#")):
                yield part, _FIELD_HEADING
            continue
        for bold in _BOLD.findall(stripped):
            for part in _split_phrases(bold):
                yield part, _FIELD_HEADING
        for part in _split_phrases(_BOLD_MARK.sub(" ", stripped)):
            yield part, _FIELD_BODY


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BOLD_MARK = re.compile(r"\*\*")
# Phrase breaks (no bigram spans them): sentence and clause punctuation, but not the "/" of
# "88/2019/QH14" or the "-" of "KT-XH".
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”«»…–—|]+|\s-\s")


def _split_phrases(folded: str) -> list[list[str]]:
    """Token lists of the phrases of already folded text."""
    out = []
    for part in _PHRASE_BREAK.split(folded):
        tokens = _PIECE.findall(part)
        if tokens:
            out.append(tokens)
    return out


def _terms(phrase: list[str]) -> Iterable[str]:
    """Unigrams and bigrams of a phrase."""
    yield from phrase
    for a, b in itertools.pairwise(phrase):
        yield f"{a} {b}"


def _combine(strengths: list[float]) -> float:
    """One strength per topic and term: each kind of field counts once, body mentions saturate."""
    missing = 1.0
    for s in set(strengths):
        if s > _FIELD_BODY:
            missing *= 1.0 - s
    tf = sum(1 for s in strengths if s <= _FIELD_BODY)
    if tf:
        missing *= 1.0 - (_FIELD_BODY + _BODY_TF_GAIN * (1.0 - 1.0 / tf))
    return min(1.0, 1.0 - missing)


def _count_phrases(phrase: list[str], counts: dict[tuple[str, ...], int]) -> None:
    """Count word n-grams (2–6) for the acronym table."""
    for size in range(2, 7):
        for start in range(len(phrase) - size + 1):
            gram = tuple(phrase[start : start + size])
            if all(g.isalpha() for g in gram):
                counts[gram] += 1


def _acronym_table(counts: Mapping[tuple[str, ...], int]) -> dict[str, tuple[str, ...]]:
    """Initial-letter acronyms of the content's frequent phrases ("bhyt" → "bao hiem y te")."""
    best: dict[str, tuple[int, tuple[str, ...]]] = {}
    for gram, count in counts.items():
        if any(word in _STOP for word in gram):
            continue
        acronym = "".join(word[0] for word in gram)
        if len(acronym) < 4 or acronym in _SYLLABLES:
            continue
        if acronym not in best or count > best[acronym][0]:
            best[acronym] = (count, gram)
    return {acronym: gram for acronym, (_, gram) in best.items()}


def _deletions(word: str, depth: int) -> set[str]:
    """Every string obtained from `word` by deleting up to `depth` letters."""
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1 :])
        out |= nxt
        frontier = nxt
    out.discard(word)
    return out


def _deletion_index(vocab: Iterable[str]) -> dict[str, list[str]]:
    """Symmetric-deletion index (SymSpell) for fast fuzzy look-up of indexed words."""
    index: dict[str, list[str]] = defaultdict(list)
    for word in vocab:
        if len(word) < 2:
            continue
        for variant in _deletions(word, 1 if len(word) < 6 else 2):
            index[variant].append(word)
    return dict(index)


def _osa_distance(a: str, b: str, limit: int) -> int:
    """Damerau–Levenshtein distance (optimal string alignment), cut off above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _edit_confidence(typed: str, word: str, dist: int) -> float:
    """How likely a typed form is a slip for `word`: doubled letters and swaps are common."""
    if dist == 0:
        return 1.0
    if dist == 1:
        if _RUN_OF_TWO.sub(r"\1", typed) == _RUN_OF_TWO.sub(r"\1", word):
            return 0.8
        if len(typed) == len(word) and sorted(typed) == sorted(word):
            return 0.8
        return 0.6 if len(typed) >= 5 else 0.45
    return 0.4


_RUN_OF_TWO = re.compile(r"(.)\1")
# Neighbouring keys on a phone's QWERTY keyboard: a finger slips to these.
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEAR_KEYS: dict[str, frozenset[str]] = {
    key: frozenset(
        other
        for r2, row2 in enumerate(_KEY_ROWS)
        for c2, other in enumerate(row2)
        if abs(r - r2) <= 1 and abs(c - c2) <= 1 and other != key
    )
    for r, row in enumerate(_KEY_ROWS)
    for c, key in enumerate(row)
}


def _plausible_slip(typed: str, word: str) -> bool:
    """Tell whether `typed` is `word` with a letter missed, added, swapped or hit next to."""
    if len(typed) != len(word):
        return True  # a letter missed or added
    diff = [(a, b) for a, b in zip(typed, word, strict=True) if a != b]
    if len(diff) != 1:
        return sorted(typed) == sorted(word)  # two letters swapped
    a, b = diff[0]
    return b in _NEAR_KEYS.get(a, frozenset())


_TONE_KEYS = frozenset("sfrxj")


def _untelex(tok: str) -> str | None:
    """Undo Telex keystrokes typed with the Vietnamese keyboard off ("trowj" → "tro").

    Only forms that carry a Telex mark (a doubled vowel or "dd", a "w", or a tone key at the end)
    are read this way, so English words ("test") are not turned into Vietnamese ones.
    """
    s = tok.replace("dd", "d").replace("w", "")
    for double, single in (("aa", "a"), ("ee", "e"), ("oo", "o")):
        s = s.replace(double, single)
    if len(s) > 1 and s[-1] in _TONE_KEYS and set(s[:-1]) & _VOWELS:
        s = s[:-1]
    return s if s != tok and s else None


# Words that open a clause giving the reason for an ask ("… vì mùa khô bà con phải đi xa"): in
# a long message the ask is what to rank by, its reason is context that names other subjects.
_REASON_OPENERS = frozenset(("vi", "boi", "do"))
# "vì" folded is also a syllable of other words ("đơn vị", "vi phạm", "vì sao" is a question).
_NOT_REASON_BEFORE = frozenset(("don", "pham", "hanh", "dia", "tu", "tuong", "ti"))
_NOT_REASON_AFTER = frozenset(
    ("pham", "tri", "du", "sao", "the", "vay", "tinh", "khuan", "mo", "sinh", "rut")
)


def _reason_starts(tokens: list[str]) -> int:
    """Where a reason clause ("vì", "bởi vì", "do" first) starts in a phrase, else its end."""
    for i, tok in enumerate(tokens):
        if tok not in _REASON_OPENERS or i + 1 >= len(tokens):
            continue
        if tokens[i + 1] in _NOT_REASON_AFTER or (i and tokens[i - 1] in _NOT_REASON_BEFORE):
            continue
        if tok == "do" and i > 0:
            continue  # "độ", "đó", "đỏ" mid-phrase; "do" opens a reason only at a clause start
        if tok == "boi" and tokens[i + 1] != "vi" and i > 0:
            continue
        return i
    return len(tokens)


def _mark_fillers(words: list[str]) -> list[bool]:
    """Flag words that belong to a question formula ("cho tôi hỏi", "như thế nào")."""
    flags = [False] * len(words)
    for filler in _FILLERS:
        size = len(filler)
        for start in range(len(words) - size + 1):
            if tuple(words[start : start + size]) == filler:
                for k in range(start, start + size):
                    flags[k] = True
    return flags
