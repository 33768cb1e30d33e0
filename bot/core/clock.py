"""Time as an injected object: production reads the system clock, tests freeze or move it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where "now" comes from."""

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = at.astimezone(UTC)

    def now(self) -> datetime:
        """The frozen instant."""
        return self._now

    def set(self, at: datetime) -> None:
        """Jump to `at`."""
        self._now = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move forward by `delta`."""
        self._now += delta


_TYPED_DAY = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{4}|\d{2}))?\s*$")


def typed_day(text: str, today: date, *, ahead: bool) -> date | None:
    """A day typed as people write it in Vietnam: "20/12", "20/12/2027", "20-12-27"; else None.

    Without a year it is the nearest such day: ahead of `today` (a due date) or not after it
    (a day something happened), so "20/12" typed in January means last December or the next.
    """
    match = _TYPED_DAY.match(text)
    if match is None:
        return None
    day, month, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
    year = today.year if year_text is None else int(year_text)
    if year < 100:
        year += 2000
    try:
        when = date(year, month, day)
        if year_text is None and ahead and when <= today:
            when = date(year + 1, month, day)
        elif year_text is None and not ahead and when > today:
            when = date(year - 1, month, day)
    except ValueError:  # no such day (31/02), or 29/02 in a year without it
        return None
    return when
