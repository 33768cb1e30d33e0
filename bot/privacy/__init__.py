"""A person's data: a copy of everything Loa keeps about them, and forgetting them.

Personal data under Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15 and NĐ 356/2025/NĐ-CP: the profile
(channel identity, name, language, commune, role), the conversation, questions asked of search
and of officers (with their photos and voices), feedback, reports and their media, and messages
waiting to be sent. Forgetting deletes all of it, except approved reports: they are evidence of
public work and stay, their reporter anonymised (a profile with no name, channel identity,
language or commune). A stored file is unlinked from MEDIA_DIR when no row points to it any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update

from bot.core.config import Settings
from bot.reports.media import delete_media_if_unreferenced, open_store
from db.models import (
    Conversation,
    DeskLink,
    DeskSession,
    Feedback,
    JoinFailure,
    OutboxMessage,
    OutboxState,
    ProcessedUpdate,
    Report,
    ReportMedia,
    ReportStatus,
    Role,
    SearchMiss,
    Ticket,
    TicketEvent,
    User,
)
from db.repositories import Repos
from db.repositories.media import digest_of

FORGOTTEN_CHANNEL = "forgotten"


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def personal_data(repos: Repos, user: User) -> dict[str, Any]:
    """Everything Loa keeps about `user`, JSON-ready (/mydata, `loa privacy export`)."""
    session = repos.session
    conversation = await session.get(Conversation, user.id)
    tickets = await repos.tickets.of_asker(user.id)
    misses = await repos.tickets.misses_of(user.id)
    feedback = (
        await session.execute(select(Feedback).where(Feedback.user_id == user.id))
    ).scalars()
    reports = await repos.reports.for_reporter(user.id, limit=10_000)
    pending = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.user_id == user.id,
            OutboxMessage.state == OutboxState.pending.value,
        )
    )
    return {
        "profile": {
            "user_id": user.id,
            "channel": user.channel,
            "channel_user_id": user.external_id,
            "name": user.display_name,
            "language": user.language,
            "role": user.role,
            "unit": user.unit_id,
            "first_contact": _at(user.created_at),
            "last_contact": _at(user.last_seen_at),
            "privacy_notice_shown": _at(user.privacy_notice_at),
        },
        "conversation_step": conversation.step if conversation is not None else None,
        "questions_to_officers": [
            {
                "number": ticket.id,
                "text": ticket.text,
                "attachment": ticket.media_kind,
                "commune": ticket.unit_id,
                "anonymous": ticket.anonymous,
                "status": ticket.status,
                "sent": _at(ticket.created_at),
                "answer": ticket.answer or None,
                "answered": _at(ticket.answered_at),
                "closed": _at(ticket.closed_at),
            }
            for ticket in tickets
        ],
        "questions_search_could_not_answer": [
            {"text": miss.text, "asked": _at(miss.created_at)} for miss in misses
        ],
        "feedback_on_pages": [
            {"topic": row.topic_id, "helpful": row.helpful, "at": _at(row.created_at)}
            for row in feedback
        ],
        "reports": [
            {
                "number": report.id,
                "status": report.status,
                "unit": report.unit_id,
                "activity": report.activity,
                "date": report.activity_date.isoformat() if report.activity_date else None,
                "participants": report.participants,
                "description": report.description,
                "photos_and_voice": len(await repos.reports.media(report.id)),
            }
            for report in reports
        ],
        "messages_waiting_to_be_sent": int(pending or 0),
    }


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What forgetting someone removed (counts), and whether a profile stub stays."""

    tickets: int
    reports: int
    kept_reports: int
    files: int
    profile_deleted: bool


async def forget(repos: Repos, user: User, settings: Settings, now: datetime) -> Forgotten:
    """Delete `user`'s personal data in this transaction (see the module docstring).

    Files no other row refers to are unlinked before the commit, with their thumbnails and
    EXIF-free public copies: should the transaction then fail, the rows stay and point at
    missing files of a person who asked to be forgotten, which is the lesser harm.
    """
    session = repos.session
    files: set[str] = set()
    tickets = await repos.tickets.of_asker(user.id)
    files.update(t.media_path for t in tickets if t.media_path)
    ticket_ids = [t.id for t in tickets]
    for ticket_id in ticket_ids:
        # Officers' notices and reminders quote the question.
        await repos.outbox.delete_keyed(f"tk:{ticket_id}:")
    if ticket_ids:
        await session.execute(delete(TicketEvent).where(TicketEvent.ticket_id.in_(ticket_ids)))
        await session.execute(delete(Ticket).where(Ticket.id.in_(ticket_ids)))
    reports = await repos.reports.for_reporter(user.id, limit=1_000_000)
    dropped = [r.id for r in reports if r.status != ReportStatus.approved.value]
    for report_id in dropped:
        for media in await repos.reports.media(report_id):
            files.update(key for key in (media.path, media.thumb_path) if key)
    for report_id in dropped:
        await repos.outbox.delete_keyed(f"report:{report_id}:")
    if dropped:
        await session.execute(delete(ReportMedia).where(ReportMedia.report_id.in_(dropped)))
        await session.execute(delete(Report).where(Report.id.in_(dropped)))
    for table in (SearchMiss, Feedback, JoinFailure, OutboxMessage, DeskLink, DeskSession):
        await session.execute(delete(table).where(table.user_id == user.id))
    await session.execute(
        update(ProcessedUpdate).where(ProcessedUpdate.user_id == user.id).values(user_id=None)
    )
    conversation = await session.get(Conversation, user.id)
    if conversation is not None:
        await session.delete(conversation)
    await _forget_linked(repos, user)
    kept = len(reports) - len(dropped)
    if kept:
        _anonymise(user, now)
    else:
        await session.delete(user)
    await session.flush()
    digests = {digest for key in files if (digest := digest_of(key)) is not None}
    removed = await delete_media_if_unreferenced(repos, open_store(settings), digests)
    return Forgotten(len(ticket_ids), len(dropped), kept, removed, not kept)


async def _forget_linked(repos: Repos, user: User) -> None:
    """Delete the person's other accounts joined by /link (their history is the person's)."""
    session = repos.session
    aliases = (await session.execute(select(User).where(User.linked_to == user.id))).scalars()
    for alias in list(aliases):
        conversation = await session.get(Conversation, alias.id)
        if conversation is not None:
            await session.delete(conversation)
        await session.execute(
            update(ProcessedUpdate).where(ProcessedUpdate.user_id == alias.id).values(user_id=None)
        )
        await session.delete(alias)


def _anonymise(user: User, now: datetime) -> None:
    """Keep the row approved reports point to, with nothing that identifies the person."""
    user.channel = FORGOTTEN_CHANNEL
    user.external_id = f"forgotten-{user.id}"
    user.display_name = ""
    user.language = None
    user.role = Role.villager.value
    user.unit_id = None
    user.unreachable = True
    user.created_at = user.last_seen_at = now
    user.privacy_notice_at = None


def media_file(settings: Settings, key: str) -> Path:
    """The local file of a storage key."""
    return settings.media_dir.resolve() / key
