"""Field reports: drafts, attachments, status changes with their audit trail, and queries."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import ColumnElement, delete, func, select

from db.models import MediaKind, Report, ReportEvent, ReportMedia, ReportStatus, Role, Unit, User
from db.repositories.base import Repository


class ReportRepository(Repository):
    """Read and change reports; every status change writes a `ReportEvent`."""

    # --- drafts -------------------------------------------------------------------------------

    async def open_draft(self, reporter_id: int) -> Report | None:
        """The reporter's unfinished report, if any (the newest one)."""
        stmt = (
            select(Report)
            .where(Report.reporter_id == reporter_id, Report.status == ReportStatus.draft.value)
            .order_by(Report.id.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def new_draft(self, reporter_id: int, unit_id: str, now: datetime) -> Report:
        """Start a draft for `unit_id`."""
        report = Report(
            reporter_id=reporter_id,
            unit_id=unit_id,
            status=ReportStatus.draft.value,
            created_at=now,
            updated_at=now,
        )
        return await self._store(report)

    async def get(self, report_id: int, *, lock: bool = False) -> Report | None:
        """The report with this id; `lock` holds its row until the transaction ends, so two
        officers deciding at once take turns (SQLite already runs one writer at a time)."""
        return await self._by_id(Report, report_id, lock=lock)

    async def discard(self, report: Report) -> set[str]:
        """Delete a draft and its attachment rows; the sha256 of the files they pointed at
        (the files may be shared: the caller unlinks those nothing else refers to)."""
        digests = await self._digests(ReportMedia.report_id == report.id)
        await self.session.execute(delete(ReportMedia).where(ReportMedia.report_id == report.id))
        await self.session.delete(report)
        await self.session.flush()
        return digests

    async def stale_drafts(self, before: datetime, limit: int = 200) -> list[Report]:
        """Drafts last changed before `before`, oldest first."""
        stmt = (
            select(Report)
            .where(Report.status == ReportStatus.draft.value, Report.updated_at < before)
            .order_by(Report.updated_at)
            .limit(limit)
        )
        return await self._rows(stmt)

    async def _digests(self, condition: ColumnElement[bool]) -> set[str]:
        stmt = select(ReportMedia.sha256).where(condition).distinct()
        return set((await self.session.execute(stmt)).scalars())

    # --- attachments --------------------------------------------------------------------------

    async def media(self, report_id: int, kind: MediaKind | None = None) -> list[ReportMedia]:
        """A report's attachments in the order they came."""
        stmt = select(ReportMedia).where(ReportMedia.report_id == report_id)
        if kind is not None:
            stmt = stmt.where(ReportMedia.kind == kind.value)
        return list((await self.session.execute(stmt.order_by(ReportMedia.id))).scalars())

    async def media_counts(self, report_ids: Collection[int]) -> dict[int, int]:
        """How many photos each report has."""
        if not report_ids:
            return {}
        stmt = (
            select(ReportMedia.report_id, func.count())
            .where(
                ReportMedia.report_id.in_(list(report_ids)),
                ReportMedia.kind == MediaKind.photo.value,
            )
            .group_by(ReportMedia.report_id)
        )
        return {rid: int(n) for rid, n in (await self.session.execute(stmt)).all()}

    async def first_report_with(self, sha256: str, *, other_than: int) -> int | None:
        """The earliest other report that already has this file attached."""
        stmt = select(func.min(ReportMedia.report_id)).where(
            ReportMedia.sha256 == sha256, ReportMedia.report_id != other_than
        )
        found = (await self.session.execute(stmt)).scalar_one_or_none()
        return int(found) if found is not None else None

    async def add_media(self, media: ReportMedia) -> ReportMedia:
        """Attach a stored file to its report."""
        return await self._store(media)

    async def remove_media(self, report_id: int, kind: MediaKind) -> set[str]:
        """Detach every attachment of one kind; the sha256 of the files they pointed at."""
        digests = await self._digests(
            (ReportMedia.report_id == report_id) & (ReportMedia.kind == kind.value)
        )
        await self.session.execute(
            delete(ReportMedia).where(
                ReportMedia.report_id == report_id, ReportMedia.kind == kind.value
            )
        )
        return digests

    async def remove_one_media(self, media_id: int) -> set[str]:
        """Detach one attachment; the sha256 of the file it pointed at (it may be shared)."""
        digests = await self._digests(ReportMedia.id == media_id)
        await self.session.execute(delete(ReportMedia).where(ReportMedia.id == media_id))
        return digests

    # --- status and audit trail ---------------------------------------------------------------

    async def change_status(
        self,
        report: Report,
        to: ReportStatus,
        *,
        actor_id: int | None,
        now: datetime,
        note: str = "",
    ) -> ReportEvent:
        """Move the report to `to` and record who did it, when and why."""
        trail = self._trail(report.status, to, actor_id, now)
        event = ReportEvent(report_id=report.id, note=note, **trail)
        report.status = to.value
        report.updated_at = now
        if to is ReportStatus.submitted:
            report.submitted_at = now
            report.draft_step = ""
        return await self._store(event)

    async def events(self, report_id: int) -> list[tuple[ReportEvent, User | None]]:
        """The report's trail, oldest first, with the user who acted."""
        stmt = (
            select(ReportEvent, User)
            .outerjoin(User, User.id == ReportEvent.actor_id)
            .where(ReportEvent.report_id == report_id)
            .order_by(ReportEvent.id)
        )
        return [(event, user) for event, user in (await self.session.execute(stmt)).all()]

    # --- queries ------------------------------------------------------------------------------

    async def for_reporter(self, reporter_id: int, limit: int = 10) -> list[Report]:
        """A reporter's own reports, newest first."""
        return await self._latest(Report, Report.reporter_id == reporter_id, limit)

    async def find(
        self,
        *,
        units: Collection[str] | None = None,
        statuses: Collection[ReportStatus] | None = None,
        since: date | None = None,
        limit: int | None = None,
        oldest_first: bool = False,
        not_by: int | None = None,
        activities: Collection[str] | None = None,
        until: date | None = None,
        offset: int = 0,
    ) -> tuple[list[Report], int]:
        """Reports matching the filters (None: any) and how many there are in all.

        Without `statuses`, drafts are left out: nobody but their reporter should see them.
        `not_by` leaves out one reporter's reports (nobody reviews their own).
        """
        conditions: list[ColumnElement[bool]] = []
        if units is not None:
            conditions.append(Report.unit_id.in_(list(units)))
        if statuses is not None:
            conditions.append(Report.status.in_([s.value for s in statuses]))
        else:
            conditions.append(Report.status != ReportStatus.draft.value)
        if since is not None:
            conditions.append(Report.activity_date >= since)
        if not_by is not None:
            conditions.append(Report.reporter_id != not_by)
        if activities is not None:
            conditions.append(Report.activity.in_(list(activities)))
        if until is not None:
            conditions.append(Report.activity_date <= until)
        total = (
            await self.session.execute(select(func.count()).select_from(Report).where(*conditions))
        ).scalar_one()
        order = Report.id.asc() if oldest_first else Report.id.desc()
        stmt = select(Report).where(*conditions).order_by(order)
        if limit is not None:
            stmt = stmt.limit(limit).offset(offset)
        return await self._rows(stmt), int(total)

    async def approved_between(
        self, start: date, end: date, units: Collection[str] | None = None
    ) -> list[tuple[Report, User | None]]:
        """Approved reports of activities from `start` to `end` (inclusive), oldest first, with
        their reporters."""
        stmt = (
            select(Report, User)
            .outerjoin(User, User.id == Report.reporter_id)
            .where(
                Report.status == ReportStatus.approved.value,
                Report.activity_date >= start,
                Report.activity_date <= end,
            )
            .order_by(Report.activity_date, Report.id)
        )
        if units is not None:
            stmt = stmt.where(Report.unit_id.in_(list(units)))
        return [(report, user) for report, user in (await self.session.execute(stmt)).all()]

    async def photos_of(self, report_ids: Collection[int]) -> dict[int, list[ReportMedia]]:
        """The photos of each report, in the order they came."""
        found: dict[int, list[ReportMedia]] = {}
        ids = list(report_ids)
        for offset in range(0, len(ids), 500):  # stay under every driver's parameter limit
            stmt = (
                select(ReportMedia)
                .where(
                    ReportMedia.report_id.in_(ids[offset : offset + 500]),
                    ReportMedia.kind == MediaKind.photo.value,
                )
                .order_by(ReportMedia.id)
            )
            for item in (await self.session.execute(stmt)).scalars():
                found.setdefault(item.report_id, []).append(item)
        return found

    async def subtree(self, unit_id: str) -> set[str]:
        """`unit_id` and every unit under it (the tree is small: read it whole)."""
        rows = (await self.session.execute(select(Unit.id, Unit.parent_id))).all()
        children: dict[str | None, list[str]] = {}
        for child, parent in rows:
            children.setdefault(parent, []).append(child)
        found = {unit_id}
        todo = [unit_id]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    async def users_with_role(
        self, roles: Collection[Role], units: Collection[str] | None = None
    ) -> list[User]:
        """Users holding one of `roles` (bound to one of `units`, when given), by id."""
        stmt = select(User).where(User.role.in_([r.value for r in roles]))
        if units is not None:
            stmt = stmt.where(User.unit_id.in_(list(units)))
        return list((await self.session.execute(stmt.order_by(User.id))).scalars())
