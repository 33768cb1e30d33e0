"""Loa's tables. Timestamps are UTC; channel user ids are strings (Zalo's are hex)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class Role(StrEnum):
    """What a user may do; bound to a unit for everyone but villagers."""

    villager = "villager"
    reporter = "reporter"
    officer = "officer"
    admin = "admin"


class UnitKind(StrEnum):
    """The kinds of node in the org tree."""

    province = "province"
    district = "district"
    commune = "commune"
    village = "village"
    department = "department"
    organisation = "organisation"


class UnitSource(StrEnum):
    """Where a unit comes from."""

    file = "file"
    added = "added"


class User(Base):
    """A person as one channel knows them."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(128), default="")
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    role: Mapped[str] = mapped_column(String(16), default=Role.villager.value)
    unit_id: Mapped[str | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), default=None
    )
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    # /stop: no broadcasts or polls (answers to their own questions and duty reminders still go).
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the privacy notice was shown (on the first choice of a language); None: not yet.
    privacy_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Another identity of the same person (`/link`): their events are handled as that user's.
    linked_to: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class Conversation(Base):
    """Where a user is in a conversation: a step name, its small data, the choices last shown."""

    __tablename__ = "conversations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[str | None] = mapped_column(String(64), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    choices: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessedUpdate(Base):
    """An update already handled: a redelivery is acknowledged and ignored."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(Integer, default=None)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Unit(Base):
    """A node of the administrative tree, loaded from the org file."""

    __tablename__ = "units"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), default=None
    )
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    reporting: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "file": from the org file (synchronised on start); "added": a village an officer added,
    # which the org file does not know and a start must not deactivate.
    source: Mapped[str] = mapped_column(String(16), default=UnitSource.file.value)


class Feedback(Base):
    """A "was this helpful?" answer on a topic page."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(16))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxState(StrEnum):
    """Where a proactive message is on its way out."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    blocked = "blocked"
    cancelled = "cancelled"  # no longer wanted (e.g. a reminder after the report came in)
    outside_window = "outside_window"  # the channel's reply window had closed (the Zalo OA)


class OutboxMessage(Base):
    """A proactive message (notification, reminder, broadcast): planned once, sent once.

    The dedupe key makes planning idempotent; the state and lease make sending safe across
    restarts and worker processes.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Lane.interactive (0) rows are claimed before Lane.bulk (1) ones (bot/delivery/outbox.py).
    lane: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # After a failed attempt, not before this; the row keeps its place (due_at) in its
    # recipient's line, and their later messages wait behind it: they arrive in order.
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    possible_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    # How many of the row's platform messages (text parts, photos) went out: a send cut off by
    # a kill or a failure goes on from the next one instead of repeating them.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_outbox_state_due_at", "state", "due_at"),)


class OutboxWorker(Base):
    """A running outbox worker (one per process start), alive while it beats.

    Its rows "sending" are dead once it stops beating, stopped, or a later start under the
    same name (the same process restarted) registered: they go back to the queue at once.
    """

    __tablename__ = "outbox_workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


# --- invites and field reports (handlers/admin.py, report.py, review.py) --------------------


class Invite(Base):
    """A one-time code that gives its user a role bound to a unit; only its hash is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    used_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # A revoked code never works again, used or not (a leaked code, an officer who left).
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class JoinFailure(Base):
    """A wrong invite code a user typed: the rate limit counts these (in the database, so
    every worker process sees the same count)."""

    __tablename__ = "join_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_join_failures_user_id_at", "user_id", "at"),)


class ReportStatus(StrEnum):
    """Where a field report is: draft → submitted → approved | rejected | needs_info."""

    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    needs_info = "needs_info"


class MediaKind(StrEnum):
    """What a report attachment is."""

    photo = "photo"
    voice = "voice"


class Report(Base):
    """An outreach activity reported from the field; a draft until the reporter sends it."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    activity: Mapped[str | None] = mapped_column(String(32), default=None)
    activity_other: Mapped[str] = mapped_column(String(200), default="")
    activity_date: Mapped[date | None] = mapped_column(Date, default=None)
    participants: Mapped[int | None] = mapped_column(Integer, default=None)
    ethnic_minority: Mapped[int | None] = mapped_column(Integer, default=None)
    women: Mapped[int | None] = mapped_column(Integer, default=None)
    # Dự án 8 (gender equality, women and children): the themes it was about (ids from the
    # REPORT_THEMES setting) and the age groups its reports count.
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    young_people: Mapped[int | None] = mapped_column(Integer, default=None)
    children: Mapped[int | None] = mapped_column(Integer, default=None)
    # A place typed that is not on the list of units: kept as typed for the officer to confirm.
    place_text: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.draft.value)
    # The step a draft was left at, so /report resumes it after /cancel or a long pause.
    draft_step: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (
        Index("ix_reports_unit_id_status", "unit_id", "status"),
        Index("ix_reports_reporter_id_status", "reporter_id", "status"),
    )


class ReportMedia(Base):
    """A photo or voice note of a report: a content-addressed file plus what was read from it."""

    __tablename__ = "report_media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(255))
    thumb_path: Mapped[str] = mapped_column(String(255), default="")
    mime: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    gps_lat: Mapped[float | None] = mapped_column(Float, default=None)
    gps_lon: Mapped[float | None] = mapped_column(Float, default=None)
    # The same file was already attached to another report (possible reuse of an old photo).
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReportEvent(Base):
    """The audit trail: every status change of a report, who made it, when, and why."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- reporting deadlines and submissions (bot/deadlines/, handlers/deadlines/) -------------


class Deadline(Base):
    """A report the units owe: one occurrence of a recurring rule, or an ad-hoc request.

    `due_date` is the date as the plan writes it, "trước ngày 10/6": the report must be in
    before that day, so the last day to submit is the day before.
    """

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # "rule:<rule id>:<year>" or "adhoc:<random>": stable, so planning (and outbox keys) never
    # depend on row ids, and two processes materialising the same occurrence create one row.
    key: Mapped[str] = mapped_column(String(100), unique=True)
    rule_id: Mapped[str | None] = mapped_column(String(64), default=None)
    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date] = mapped_column(Date)
    # The reminder schedule, copied from the rules file when the row was made.
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Withdrawn by an admin (`loa deadlines cancel`, or in chat): no longer shown or reminded.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DeadlineUnit(Base):
    """A unit that owes the report of a deadline."""

    __tablename__ = "deadline_units"

    deadline_id: Mapped[int] = mapped_column(
        ForeignKey("deadlines.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), primary_key=True)


class Submission(Base):
    """A unit's report for a deadline, marked submitted in chat or recorded by an admin."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("deadline_id", "unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    submitted_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    via: Mapped[str] = mapped_column(String(16))  # "chat" or "recorded" (by an admin)
    note: Mapped[str] = mapped_column(Text, default="")
    document_path: Mapped[str | None] = mapped_column(String(255), default=None)
    document_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    document_mime: Mapped[str] = mapped_column(String(100), default="")
    document_size: Mapped[int | None] = mapped_column(Integer, default=None)
    document_name: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the overseeing officers and admins were told (in a digest); None: not yet.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


# --- audit (bot/cli/users.py, bot/cli/invites.py, handlers/roles.py) ------------------------


class AuditEntry(Base):
    """Who changed a role or an invite, when, and what: operators (`actor_id` None) and admins.

    The subject is an id (a user's or an invite's), never a name or a code: the log itself
    holds no personal data beyond the link to the row.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    via: Mapped[str] = mapped_column(String(16))  # "cli" or the chat channel's name
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")


# --- questions to a person (handlers/tickets.py) and what search could not answer ----------


class TicketStatus(StrEnum):
    """Where a villager's question is: open → answered → closed."""

    open = "open"
    answered = "answered"
    closed = "closed"


class Ticket(Base):
    """A question a villager sent to the officers of their commune, and its answer."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The commune it was routed to (None: nobody knew it; the admins got it).
    unit_id: Mapped[str | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), default=None
    )
    language: Mapped[str] = mapped_column(String(16))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    media_kind: Mapped[str | None] = mapped_column(String(8), default=None)
    media_path: Mapped[str | None] = mapped_column(String(255), default=None)
    media_mime: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.open.value)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_tickets_status_created_at", "status", "created_at"),)


class TicketEvent(Base):
    """The audit trail of a ticket: every status change, who made it, when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class SearchMiss(Base):
    """A question search could not answer confidently: what content editors should write next.

    Kept with its asker only so /forgetme can remove it; the export names the commune at most.
    """

    __tablename__ = "search_misses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), default=None
    )
    language: Mapped[str] = mapped_column(String(16))
    best_topic: Mapped[str | None] = mapped_column(String(64), default=None)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- broadcasts and polls (bot/broadcasts/, handlers/broadcast.py) --------------------------


class BroadcastKind(StrEnum):
    """An announcement, or a poll (an announcement with numbered answers and a closing time)."""

    announcement = "announcement"
    poll = "poll"


class Broadcast(Base):
    """A message to an audience, sent through the outbox once to each recipient.

    Each recipient's copy is an outbox row keyed `bc:<id>:<user>`, so the figures come from
    those rows; people skipped when it was queued (opted out, unreachable) are counted here.
    """

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # "all", "unit:<id>", "language:<code>" or "role:<role>"; `scope_unit_id` narrows it to a
    # subtree (an officer's own communes).
    audience: Mapped[str] = mapped_column(String(100))
    scope_unit_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # The text per language; "vi" always, the others optional (Vietnamese otherwise).
    texts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    photo_path: Mapped[str | None] = mapped_column(String(255), default=None)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    skipped_opted_out: Mapped[int] = mapped_column(Integer, default=0)
    skipped_unreachable: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the author was sent the final figures (broadcast) or the results (poll).
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class PollAnswer(Base):
    """One person's answer to a poll; a later answer replaces it until the poll closes.

    The commune and language are copied at answer time: results by commune and language need
    nothing else about the person.
    """

    __tablename__ = "poll_answers"

    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    option: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[str | None] = mapped_column(String(64), default=None)
    language: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeskLink(Base):
    """A one-time sign-in link to the web desk, asked for with /desk (bot/web/desk/auth.py).

    Only the SHA-256 of the link's secret is kept: a copy of the database opens no desk.
    """

    __tablename__ = "desk_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DeskSession(Base):
    """A signed-in browser: the SHA-256 of its cookie, whose it is and until when.

    `role` is the role at sign-in: a session whose user no longer holds it has ended.
    """

    __tablename__ = "desk_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# --- Zalo Official Account (bot/channels/zalo_oa/) and linked identities (handlers/link.py) --


class OAToken(Base):
    """The OA's OAuth pair: one row per app, rotated in place (refresh tokens are single-use).

    `version` grows with every new pair; `refreshing_until` is the lease of the one worker that
    is refreshing (compare-and-swap on both SQLite and PostgreSQL), so a refresh token is never
    spent twice by workers racing each other.
    """

    __tablename__ = "oa_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
    refreshing_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set when the OAuth server refused the refresh token: a person must authorise again.
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """A webhook body as received (signature checked), stored before the platform gets its 200.

    Zalo does not redeliver after a 200, so the row is the only copy until it is handled;
    `handled_at` None means it still has to be (after a crash, on the next start). The key
    (`msg_id`, or event name + id + timestamp) is unique: a second delivery is not stored again.
    Once handled the body is emptied (it holds a person's message); the key stays
    PROCESSED_UPDATES_KEEP_DAYS.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("channel", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)


class ReplyWindow(Base):
    """When a user of a channel with a reply window (the Zalo OA) last interacted with it."""

    __tablename__ = "reply_windows"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_interaction_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkCode(Base):
    """A one-time code that joins another identity to a person (`/link`); only its hash is kept."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
