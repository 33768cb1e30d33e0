"""Which stored files rows still point at (files are shared by content: sha256 in the name)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from db.models import Broadcast, ReportMedia, Submission, Ticket
from db.repositories.base import Repository

# Every column holding the storage key ("ab/cd/<sha256>.<ext>") of a file under MEDIA_DIR. A
# file is deleted only when none of them names its sha256: a new table with files adds its
# column here, or its files would be taken for orphans.
KEY_COLUMNS: tuple[InstrumentedAttribute[str] | InstrumentedAttribute[str | None], ...] = (
    ReportMedia.path,
    ReportMedia.thumb_path,
    Submission.document_path,
    Ticket.media_path,
    Broadcast.photo_path,  # an absolute path: its file name still names the sha256
)

_DIGEST = re.compile(r"[0-9a-f]{64}")


def digest_of(key: str) -> str | None:
    """The sha256 a storage key names, if it is content-addressed."""
    stem = PurePosixPath(key).name.split(".", 1)[0]
    return stem if _DIGEST.fullmatch(stem) else None


class MediaRepository(Repository):
    """Count the rows that refer to a stored file, by its sha256."""

    async def references(self, digest: str) -> int:
        """How many rows (of any table in KEY_COLUMNS) refer to the file `digest`."""
        if not _DIGEST.fullmatch(digest):
            raise ValueError("not a sha256")
        await self.session.flush()  # deletions of this transaction count
        total = 0
        for column in KEY_COLUMNS:
            stmt = select(func.count()).where(column.like(f"%{digest}%"))
            total += int((await self.session.execute(stmt)).scalar_one())
        return total

    async def referenced(self) -> set[str]:
        """The sha256 of every file some row refers to."""
        found: set[str] = set()
        for column in KEY_COLUMNS:
            stmt = select(column).where(column.is_not(None)).distinct()
            for key in (await self.session.execute(stmt)).scalars():
                digest = digest_of(key or "")
                if digest is not None:
                    found.add(digest)
        return found
