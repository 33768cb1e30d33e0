"""Which stored files rows still point at (files are shared by content: sha256)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ReportMedia, Submission


class MediaRepository:
    """Count the rows that refer to a stored file, by its sha256."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def references(self, digest: str) -> int:
        """How many attachment and submission rows refer to the file `digest`."""
        await self.session.flush()  # deletions of this transaction count
        photos = select(func.count()).where(ReportMedia.sha256 == digest)
        documents = select(func.count()).where(Submission.document_sha256 == digest)
        return int((await self.session.execute(photos)).scalar_one()) + int(
            (await self.session.execute(documents)).scalar_one()
        )

    async def referenced(self) -> set[str]:
        """The sha256 of every file some row refers to."""
        photos = select(ReportMedia.sha256).distinct()
        documents = (
            select(Submission.document_sha256)
            .where(Submission.document_sha256.is_not(None))
            .distinct()
        )
        found = set((await self.session.execute(photos)).scalars())
        found |= {d for d in (await self.session.execute(documents)).scalars() if d}
        return found
