"""ZIP archives (.docx, .xlsx) checked by their own directory before anything reads them.

Python's `zipfile` builds an object per entry as it opens an archive, and readers such as
openpyxl then inflate whole parts: a small file can list half a million entries or hold a
cell that inflates to hundreds of megabytes. `check_zip` reads the end-of-central-directory
record first (a few bytes at the end) and refuses too many entries or too large a directory
before `zipfile` sees the file, then sums the sizes the directory declares; every part is
also checked against its own limit. ZIP64 archives are refused: no document Loa takes needs
more than 65,535 entries or 4 GiB.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF
_ZIP64_LOCATOR = b"PK\x06\x07"


class ArchiveTooLarge(ValueError):  # noqa: N818  (a verdict on the file)
    """The archive is over a limit; the message says which (no content is in it)."""


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """What an archive may hold."""

    max_entries: int = 2_000
    max_directory_bytes: int = 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024  # uncompressed, all entries together
    max_entry_bytes: int = 100 * 1024 * 1024  # uncompressed, one entry


DOCUMENT_LIMITS = ZipLimits()
# A translator workbook: a few thousand rows of text, nowhere near these.
WORKBOOK_LIMITS = ZipLimits(
    max_entries=200, max_total_bytes=50 * 1024 * 1024, max_entry_bytes=30 * 1024 * 1024
)


def check_zip(data: bytes | BinaryIO, limits: ZipLimits) -> None:
    """Raise ArchiveTooLarge unless the archive is within `limits` (zipfile.BadZipFile when it
    is not a ZIP at all); reads only the directory."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    tail_size = min(size, _EOCD_SIZE + _MAX_COMMENT)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise zipfile.BadZipFile("no end of central directory")
    _sig, _disk, _cd_disk, _here, entries, directory, _offset, _comment = struct.unpack(
        "<4sHHHHIIH", tail[at : at + _EOCD_SIZE]
    )
    if (
        entries == 0xFFFF
        or directory == 0xFFFFFFFF
        or _ZIP64_LOCATOR in tail[max(0, at - 20) : at]
    ):
        raise ArchiveTooLarge("a ZIP64 archive")
    if entries > limits.max_entries:
        raise ArchiveTooLarge(f"{entries} entries (at most {limits.max_entries})")
    if directory > limits.max_directory_bytes:
        raise ArchiveTooLarge(f"a directory of {directory} bytes")
    stream.seek(0)
    with zipfile.ZipFile(stream) as archive:
        infos = archive.infolist()
    if len(infos) > limits.max_entries:  # the record undercounted: trust the directory
        raise ArchiveTooLarge(f"{len(infos)} entries (at most {limits.max_entries})")
    total = 0
    for info in infos:
        if info.file_size > limits.max_entry_bytes:
            raise ArchiveTooLarge(f"an entry of {info.file_size} bytes uncompressed")
        total += info.file_size
    if total > limits.max_total_bytes:
        raise ArchiveTooLarge(f"{total} bytes uncompressed (at most {limits.max_total_bytes})")
    stream.seek(0)
