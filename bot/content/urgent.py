"""Recognise a message about someone in danger, before it is treated as a question.

Violence, forced or child marriage, trafficking and a child in danger must be answered first with
what to do now, whatever search would find. Messages come with or without accents and in plain
words ("chồng say rượu về đánh em", "bi ep lay chong"), so the rules work on folded text
(`normalize`: no accents, lower case) and look for a *situation* — a harm happening to a person —
rather than for topic words: "bạo lực gia đình là gì" or "tuổi kết hôn" are ordinary questions
about the pages on those subjects and must not trigger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.content.search import normalize

__all__ = ["Danger", "Urgency", "detect_urgent"]


class Danger(StrEnum):
    """The kind of danger a message describes."""

    violence = "violence"
    marriage = "marriage"
    trafficking = "trafficking"
    child = "child"
    life = "life"  # someone wants to die, or cries for help


@dataclass(frozen=True, slots=True)
class Urgency:
    """A message recognised as urgent, with the kind of danger and the words that showed it."""

    danger: Danger
    evidence: str


def _words(*alternatives: str) -> str:
    """A regex group matching any of the (space-separated) word sequences, whole words only."""
    return r"(?:" + "|".join(alternatives) + r")"


# People a harm happens to or comes from, in plain words (folded: no accents).
_PERSON = _words(
    "vo",
    "(?<!phong )chong",  # "phòng, chống" (prevent) is not "chồng"
    "con",
    "con gai",
    "con trai",
    "em",
    "toi",
    "tui",
    "minh",
    "chau",
    "be",
    "me",
    "ma",
    "bo",
    "cha",
    "ba",
    "ong",
    "chi",
    "anh",
    "co ay",
    "no",
    "ho",
    "nguoi ta",
    "dua nho",
    "dua tre",
    "tre",
    "hoc sinh",
    "ban gai",
    "ban toi",
    "hang xom",
    "bo duong",
    "cha duong",
    "me ke",
    "di ghe",
    "thang",
    "con be",
    "thang be",
    "dua",
)
# Young ages: a marriage or pregnancy at these ages is a child's.
_CHILD_AGE = r"(?:1[0-7]|[5-9]|muoi (?:bon|lam|nam|sau|bay|mot|hai|ba))"
_MARRY = _words(
    "lay chong",
    "lay vo",
    "cuoi",
    "cuoi chong",
    "cuoi vo",
    "ket hon",
    "gia chong",
    "ga chong",
    "ve nha chong",
    "ve lam dau",
    "co chong",
    "co vo",
    "de con",
    "co bau",
    "co thai",
    "mang thai",
    "sinh con",
)
# Who is sold or lured away: never "bò" (cow) or "hàng" (goods), which the verbs also take.
_VICTIM = _words(
    "con",
    "con gai",
    "con trai",
    "em",
    "em gai",
    "chau",
    "chau gai",
    "vo",
    "dua nho",
    "dua tre",
    "dua be",
    "tre em",
    "be gai",
    "be",
    "nguoi",
    "phu nu",
    "chi",
    "co gai",
    "may dua",
    "may chi",
    "may dua nho",
    "hoc sinh",
)
_BORDER = (
    r"(?:sang|qua|ve|o|len) (?:ben )?(?:trung quoc|tq|lao|campuchia|cam|bien gioi|"
    r"nuoc ngoai|thai lan|malaysia)\b"
)
_FORCE = _words(
    "ep",
    "bi ep",
    "cuong ep",
    "ep buoc",
    "bat",
    "bat ep",
    "buoc",
    "bi buoc",
    "danh",
    "doa",
)
# "Bị" + a harm: the speaker or someone they name is the victim.
_HARM = _words(
    "danh",
    "danh dap",
    "dap",
    "chem",
    "dam dao",
    "dam chet",
    "dam bi thuong",
    "giet",
    "hanh ha",
    "hanh hung",
    "nguoc dai",
    "gio tro",
    "doi bai",
    "doa bat",
    "bao hanh",
    "bao luc",
    "xam hai",
    "sam hai",
    "hiep dam",
    "hiep",
    "cuong hiep",
    "so mo",
    "dung cham",
    "lam nhuc",
    "de doa",
    "doa giet",
    "doa danh",
    "nhot",
    "giam",
    "xich",
    "troi",
    "bat coc",
    "bat di",
    "bat mat",
    "lua ban",
    "ban",
    "ban sang",
    "lua sang",
    "lua qua",
    "bo roi",
    "bo doi",
    "duoi ra khoi nha",
    "duoi di",
    "ep",
    "ep cuoi",
    "ep lay chong",
    "ep lay vo",
    "ep ket hon",
    "buon ban",
    "mua ban",
    "dua sang",
    "dua qua",
)
# "Bị" + a harm is someone's situation only when the message names someone ("em bị đánh",
# "con tôi bị xâm hại"); "phụ nữ bị bạo lực" or "trẻ em bị xâm hại" alone ask about the subject.
_SOMEONE = (
    r"\b(?:toi|tui|(?<!tre )em|minh|con|vo|(?<!phong )chong|chau|me|ma|bo|cha|chi|anh|ba|"
    r"ong|be|no|co ay|hang xom|nha ben|ban toi|ban em|em gai|em trai|dua)\b"
)
_NOT_HARM_AFTER = _words("gia", "so", "sach", "hieu", "thue", "dau", "hang", "nhan", "hoc")

_RULES: tuple[tuple[Danger, re.Pattern[str]], ...] = tuple(
    (danger, re.compile(pattern))
    for danger, pattern in (
        # Forced marriage, bride capture ("bắt vợ") and marrying off a child.
        (Danger.marriage, rf"\b{_FORCE} (?:\w+ ){{0,4}}{_MARRY}\b"),
        (Danger.marriage, r"\b(?:bat vo|cuop vo|bat chong|cuop dau|keo vo)\b"),
        (
            Danger.marriage,
            rf"\b{_CHILD_AGE} tuoi\b(?: \w+){{0,5}} (?:da |sap |phai |bi |dang )?"
            rf"{_MARRY}\b",
        ),
        (Danger.marriage, rf"\b(?:ga|gia|ep gia) (?:\w+ ){{0,3}}{_CHILD_AGE} tuoi\b"),
        (
            Danger.marriage,
            rf"\b{_MARRY}\b(?: \w+){{0,4}} (?:khi|luc|moi|tu|nam)(?: \w+)? "
            rf"{_CHILD_AGE} tuoi\b",
        ),
        (
            Danger.marriage,
            rf"\b(?:con|chau|em|be) (?:gai |trai )?(?:\w+ ){{0,2}}"
            rf"(?:chua du tuoi|chua den tuoi|con nho|dang di hoc)"
            rf"(?: \w+){{0,4}} (?:da |sap |phai |bi )?{_MARRY}\b",
        ),
        (Danger.marriage, rf"\b(?:bat|ep|buoc) (?:\w+ ){{0,3}}bo hoc (?:de |ma )?{_MARRY}\b"),
        # Trafficking: sold, lured or taken across the border, held, missing.
        (
            Danger.trafficking,
            r"\b(?:buon ban nguoi|buon nguoi|ban nguoi|mua ban nguoi)\b"
            r"(?! la gi)(?! la sao)",
        ),
        (
            Danger.trafficking,
            rf"\bbi (?:\w+ ){{0,2}}(?:lua|du|dua|dan|ban|bat|dem)(?: \w+){{0,4}} {_BORDER}",
        ),
        (
            Danger.trafficking,
            # not "đưa con sang Lào học": bringing someone is not luring or selling them
            rf"\b(?:lua|du|ru re|ban|bat|bat coc) {_VICTIM}(?: \w+){{0,4}} {_BORDER}",
        ),
        (Danger.trafficking, rf"\b(?:ban|mua) {_VICTIM}(?: \w+){{0,3}} (?:lay|duoc) (?:tien|\d)"),
        (
            Danger.trafficking,
            r"\b(?:mat tich|mat lien lac|khong lien lac duoc|bat coc|"
            r"khong cho ve|giu khong cho ve|bi giam giu|bi giu lai)\b",
        ),
        # Violence against a person: "bị đánh", "chồng đánh vợ", threats, sexual abuse.
        (
            Danger.violence,
            rf"{_SOMEONE}(?: \w+){{0,4}} bi (?:\w+ ){{0,3}}{_HARM}\b(?! {_NOT_HARM_AFTER}\b)",
        ),
        (
            Danger.violence,
            rf"\b{_PERSON} (?:\w+ ){{0,3}}(?:danh|dap|chem|dam|hanh ha|"
            rf"nguoc dai|bao hanh|doa giet|doa danh|xam hai|hiep dam|so mo|"
            rf"dung cham|nhot|xich|troi|bop co|tat|dam dap|giet) "
            rf"{_PERSON}\b(?! (?:gia|sach|bong|ten)\b)",
        ),
        (
            Danger.violence,
            rf"^(?=.*{_SOMEONE}).*?\b(?:danh dap|danh chui|chui danh|bao hanh|hanh hung|hanh ha|"
            r"nguoc dai|hiep dam|cuong hiep|xam hai tinh duc|xam hai|sam hai|"
            r"doa giet|muon giet|doi giet|dam chet|chem chet|bop co|doa bat|gio tro doi bai|"
            r"lam chuyen bay ba|so mo vung kin|danh toi tap|danh bam dap)\b"
            r"(?! (?:la gi|la sao|la nhu the nao|gom|bao gom)\b)",
        ),
        (
            Danger.violence,
            r"\b(?:say ruou|nhau say|uong ruou) (?:\w+ ){0,3}(?:ve )?(?:danh|dap|"
            r"chui|duoi|dam|chem)\b(?! gia\b)",
        ),
        # A child in danger: abandoned, alone, lost.
        (
            Danger.child,
            r"\b(?:tre|be|chau|con|dua nho|dua tre|em be)(?: \w+){0,3} (?:bi )?"
            r"(?:bo roi|bo doi|bo mot minh|bi bo|bi lac|di lac|lac mat|lac duong|khong ai nuoi|"
            r"khong ai cham|bo di lang thang|bi bo rung)\b",
        ),
        # Someone's life: wanting to die, or a cry for help.
        (
            Danger.life,
            r"\b(?:tu tu|muon chet|muon tu tu|doi chet|uong thuoc chuot|"
            r"uong thuoc sau|nhay song|treo co)\b",
        ),
        (
            Danger.life,
            # not "cứu trợ" (relief) or "nghiên cứu", nor "hỗ trợ khẩn cấp" (emergency aid)
            r"\b(?:cuu voi|cuu em|cuu toi|cuu tui|cuu con|cuu chau|cuu me|cuu minh|cuu giup|"
            r"giup voi gap|nguy hiem lam|dang gap nguy hiem)\b",
        ),
    )
)


def detect_urgent(text: str) -> Urgency | None:
    """The danger a message describes, or None for an ordinary message."""
    folded = normalize(text)
    if not folded:
        return None
    for danger, pattern in _RULES:
        found = pattern.search(folded)
        if found:
            return Urgency(danger, found.group(0))
    return None
