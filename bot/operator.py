"""What the operator commands (`loa invite`, `loa reports`, `loa deadlines`) share."""

from __future__ import annotations

from datetime import date, datetime


class OperatorError(ValueError):
    """A command's arguments do not fit (the message is for the operator)."""


def parse_day(text: str, example: str = "2026-11-01") -> date:
    """A date typed as 2026-11-01 or 01/11/2026."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    shown = date.fromisoformat(example)
    raise OperatorError(f"expected a date like {example} or {shown:%d/%m/%Y}, not {text!r}")
