"""Reporting deadlines in chat: mark a report submitted, see who is late, ask for a report.

Officers /submit their unit's report for an open deadline (with the file, a note, or
neither) and see their units' deadlines with /status; admins see the whole board, /record a
report that came in some other way, and create ad-hoc deadlines with /deadline ("đột xuất,
khi có yêu cầu" in the plan). Reminders themselves are planned by bot/deadlines.py.

    /submit → deadline → [file | note | "without a file"] → confirm → recorded
    /record → deadline → unit → [file | note | "without a file"] → confirm → recorded
    /deadline → title → due date → all units | pick units → confirm → created
    /status → change or cancel (admins) → deadline → title | due date | cancel (changes.py)
"""

from handlers.deadlines import adhoc, board, changes, submissions
from handlers.deadlines.flow import DeadlineStep, router

__all__ = ["DeadlineStep", "adhoc", "board", "changes", "router", "submissions"]
