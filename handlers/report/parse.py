"""What reporters type, read: yes/no words, kinds of activity, days and head counts."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.core import chat
from bot.core.i18n import N_, _, format_day
from bot.engine import BadInput
from handlers.report.views import Activity

# Words people type for each kind (folded: no accents, lower case), in Vietnamese and English.
ACTIVITY_WORDS = {
    Activity.conference: ("hoi nghi", "hoi thao", "hop", "conference", "meeting"),
    Activity.loudspeaker: ("loa", "truyen thanh", "phat thanh", "radio", "loudspeaker"),
    Activity.door_to_door: ("tai nha", "den nha", "tung nha", "luu dong", "door"),
    Activity.printed: ("pano", "ap phich", "to roi", "to gap", "bang ron", "poster", "leaflet"),
    Activity.bilingual: ("song ngu", "bilingual"),
    Activity.honouring: ("bieu duong", "ton vinh", "dien hinh", "khen thuong", "honour"),
    Activity.news: ("tin bai", "bai viet", "trang tin", "website", "news"),
}


# Words that finish the photos or skip an optional question, in every language; the
# msgids hold the English ones, each catalog its own (separated by "|").
DONE_WORDS = N_("done|finished|that's all")
# A bare "không" is not a skip: asked "how many women?", it means none.
SKIP_WORDS = N_("skip|don't know")
_DONE_VI = {"xong", "xong roi", "het", "da xong", "hoan thanh", "ok xong"}
_SKIP_VI = {"bo qua", "khong ro", "khong biet", "chua ro"}
NO_WORDS = {"khong", "ko", "no"}
_TODAY = {"hom nay", "today", "nay"}
_YESTERDAY = {"hom qua", "yesterday", "qua"}


def fold(text: str) -> str:
    """Text for matching words: no accents (đ → d), lower case, no closing punctuation."""
    return chat.fold(text).strip(" .!")


def _is_word(text: str, msgid: str, vietnamese: set[str]) -> bool:
    folded = fold(text)
    words = {fold(w) for w in _(msgid).split("|")} | {fold(w) for w in msgid.split("|")}
    return folded in words | vietnamese


def is_done(text: str) -> bool:
    """Whether the message says "that's all the photos" (xong, done, …)."""
    return _is_word(text, DONE_WORDS, _DONE_VI)


def is_skip(text: str) -> bool:
    """Whether the message skips an optional question (bỏ qua, không rõ, skip, …)."""
    return _is_word(text, SKIP_WORDS, _SKIP_VI)


_DATE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?$")


def parse_day(text: str, today: date, max_age_days: int) -> date:
    """A typed day ("24/11", "24/11/2026", "hôm qua"); BadInput saying what is wrong.

    Without a year it is the most recent such day: this year's, or last year's when this
    year's is still to come (a report typed on 3 January about 28 December).
    """
    folded = fold(text)
    if folded in _TODAY:
        return today
    if folded in _YESTERDAY:
        return today - timedelta(days=1)
    match = _DATE.match(folded)
    if match is None:
        raise BadInput(
            _(
                "Please type the date as day/month, for example {example}, or choose "
                "Today or Yesterday."
            ).format(example=f"{today:%d/%m}")
        )
    day, month, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
    year = today.year if year_text is None else int(year_text)
    if year < 100:
        year += 2000
    try:
        when = date(year, month, day)
    except ValueError:
        raise BadInput(
            _("There is no such date. Please type it as day/month, for example {example}.").format(
                example=f"{today:%d/%m}"
            )
        ) from None
    if year_text is None and when > today:
        try:
            earlier = date(year - 1, month, day)
        except ValueError:  # 29 February
            earlier = when
        if (today - earlier).days <= max_age_days:
            when = earlier
    if when > today:
        raise BadInput(
            _("{date} is in the future. Please type the day the activity took place.").format(
                date=format_day(when)
            )
        )
    if (today - when).days > max_age_days:
        raise BadInput(
            _(
                "{date} is more than {days} days ago: Loa takes reports of recent "
                "activities only. Please report older ones to the commune office in "
                "writing."
            ).format(date=format_day(when), days=max_age_days)
        )
    return when


_COUNT = re.compile(r"^(\d{1,3}(?:[.,\s]\d{3})+|\d+)\s*(?:nguoi|people|persons?)?$")


def parse_count(text: str) -> int | None:
    """A head count as people type it ("35", "1.200", "35 người"); None if it is not one."""
    match = _COUNT.match(fold(text))
    if match is None:
        return None
    return int(re.sub(r"[.,\s]", "", match.group(1)))


def match_activity(text: str) -> Activity | None:
    """The one kind of activity typed words name (None when they name none, or several)."""
    folded = fold(text)
    matches = {
        kind
        for kind, words in ACTIVITY_WORDS.items()
        if any(re.search(rf"\b{re.escape(w)}\b", folded) for w in words)
    }
    return matches.pop() if len(matches) == 1 else None


_NUMBERS = re.compile(r"^\d{1,2}(?:\s*[,;\s]\s*\d{1,2})*$")


def parse_numbers(text: str) -> list[int]:
    """Several choice numbers typed at once ("1, 3", "1 3"); empty if the text is not that."""
    folded = fold(text)
    if not _NUMBERS.match(folded):
        return []
    return [int(n) for n in re.findall(r"\d+", folded)]
