"""What the corpus's tables are made of: a case, what must come of it, and the checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.app import Loa
from tests.fakes.runtime import vi
from tests.fixtures.cast import APOLOGY

# Sentences a user may read, by their msgid (the Vietnamese text is what is checked).
EMPTY = "Your message was empty. Please type a few words or pick a number."
TOO_LONG = (
    "Your message is too long ({length} characters). Please send at most {limit} characters."
)
ONLY_WORDS = "I can only read words and numbers. Please type a few words or pick a number."
UNKNOWN_COMMAND = "I don't know the command /{command}. Send /help to see what I can do."
CANT_USE = "I can't use this kind of message here. Please type your question or pick a number."
STALE = "That button is out of date. Here is the main menu."
FORBIDDEN = (
    "Sorry, this is only for registered reporters and officers. If you have an invite code, "
    "send /join followed by the code."
)
# Loa's apologies for its own failures (a crash; a transient fault): never the answer to input.
FAILURES = (APOLOGY, "trục trặc ở phía chúng tôi")
GREETING = "Tôi là Loa"  # the first words a new user reads, with the languages to pick


@dataclass(frozen=True)
class Reads:
    """The user reads this: a msgid (its Vietnamese text, up to its first placeholder) or,
    with `literal`, these exact words."""

    text: str
    literal: bool = False

    def expected(self, loa: Loa) -> str:
        """The Vietnamese words to look for."""
        return self.text if self.literal else vi(loa, self.text).split("{")[0]


@dataclass(frozen=True)
class Answered:
    """Some answer, whatever it says, as long as it is no apology for a failure."""


@dataclass(frozen=True)
class Silent:
    """No answer, and nothing of the sender stored (no user row)."""


Expect = Reads | Answered | Silent


def judged(loa: Loa, expect: Expect, texts: list[str]) -> str | None:
    """What is wrong with what a user read (None: nothing)."""
    joined = "\n".join(texts)
    if any(failure in text for text in texts for failure in FAILURES):
        return f"apologised for a failure: {joined[:120]!r}"
    if isinstance(expect, Silent):
        return f"answered: {joined[:120]!r}" if texts else None
    if not texts:
        return "no answer"
    if isinstance(expect, Reads) and expect.expected(loa) not in joined:
        return f"expected {expect.expected(loa)[:60]!r}, read {joined[:160]!r}"
    return None


def files_under(root: Path) -> set[str]:
    """Every file under `root`, relative (the inbound spool's leftovers included)."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
