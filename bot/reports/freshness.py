"""Whether a queued message about a report is still true when the outbox is about to send it.

Messages wait in the outbox (quiet hours, a rate limit, an outage). By the time they go, the
report they speak of may have moved on: an officer's approve/reject buttons for a report another
officer already decided, or for a round the reporter has since answered; a reporter's "Answer
the officer" for a report since approved. Such a message would invite an action that no longer
exists, so the worker drops it (the newer message that made it stale is queued too).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.core.chat import Reply, parse_choice
from db.models import ReportStatus
from db.repositories import Repos

DECISIONS = frozenset({"ok", "no", "ask"})


def review_round(statuses: Iterable[str]) -> int:
    """The review round of a report whose audit trail went through `statuses`."""
    return sum(1 for status in statuses if status == ReportStatus.submitted.value)


async def report_message_is_stale(repos: Repos, replies: Sequence[Reply]) -> bool:
    """True when a button in `replies` acts on a report in a state it no longer has."""
    for reply in replies:
        for offered in reply.choices:
            parsed = parse_choice(offered.payload)
            if parsed is None:
                continue
            route, args = parsed
            numbers = args[1:]
            if not args or not numbers or not all(arg.isdigit() for arg in numbers):
                continue
            if route == "rv" and args[0] in DECISIONS and len(args) == 3:
                if not await _still_in_round(repos, int(args[1]), int(args[2])):
                    return True
            elif route == "rp" and args[0] == "more":
                report = await repos.reports.get(int(args[1]))
                if report is None or report.status != ReportStatus.needs_info.value:
                    return True
    return False


async def _still_in_round(repos: Repos, report_id: int, round_: int) -> bool:
    report = await repos.reports.get(report_id)
    if report is None or report.status != ReportStatus.submitted.value:
        return False
    trail = await repos.reports.events(report_id)
    return review_round(event.to_status for event, _actor in trail) == round_
