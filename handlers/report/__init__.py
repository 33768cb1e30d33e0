"""Report an outreach activity from the field: what, where, when, who came, photos; then send.

    activity ─(other)→ other → unit → date → themes (Dự án 8, several) → participants
      → minority → women ─(a theme chosen)→ young → children
      → description (text, or a voice note) → photos (0/1–10 by kind, "xong") → location
      → confirm: send | change one answer (→ its step → back to confirm) | delete the draft
    "quay lại" at any step: the question before; /cancel keeps the draft.
    sent: withdraw (→ draft) until reviewed; rejected: change and send again (→ draft).

The draft is a `reports` row (status draft) and remembers its step; the conversation holds
only its id, so a restart continues where the reporter stopped, and after /cancel, /report
offers to continue it. Every step re-asks with a reason when the answer does not fit and
changes nothing then. Sending records the status change and notifies the officers of the
report's unit and of its parent; handlers/review.py takes their decisions. Reporters also
answer an officer's question here (text and photos), which sends the report back for review.

The package reads bottom-up: `parse` (what people type), `views` (what they read),
`notices` (who reviews, and telling them), `flow` (the steps and their questions),
`attachments` (photos and voice notes), `photos` (the photo and location steps), `confirm`
(the summary: send, change an answer, delete), `steps` (the other steps' answers, the table of
all of them, back and cancel), `entry` (/report, /myreports, answering an officer,
withdrawing and reopening), `places` (villages officers add). Importing it registers every
handler on `router`.
"""

from bot.reports.freshness import review_round
from handlers.report import entry, places, steps
from handlers.report.entry import RECENT
from handlers.report.flow import REPORTERS, ReportStep, router
from handlers.report.notices import OFFICERS, can_review, notify_reviewers, unit_scope
from handlers.report.parse import parse_count, parse_day
from handlers.report.views import (
    activity_label,
    load_view,
    review_replies,
    status_label,
)

__all__ = [
    "OFFICERS",
    "RECENT",
    "REPORTERS",
    "ReportStep",
    "activity_label",
    "can_review",
    "entry",
    "load_view",
    "notify_reviewers",
    "parse_count",
    "parse_day",
    "places",
    "review_replies",
    "review_round",
    "router",
    "status_label",
    "steps",
    "unit_scope",
]
