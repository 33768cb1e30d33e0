"""Report documents (PDF, Word .docx, Excel .xlsx): checked by content, stored like photos.

The type is read from the bytes, never from the name or the MIME type the channel claims: a
PDF starts with `%PDF-` and ends with `%%EOF`; a .docx or .xlsx is a ZIP whose
`[Content_Types].xml` declares the main part of a Word document or an Excel workbook (so the
macro-enabled .docm/.xlsm, which declare other types, are refused). Nothing is extracted from
the ZIP, only its directory and that one small part are read. Files are stored under their
sha256 in the media store (`ab/cd/<sha256>.<ext>`), beside the photos.
"""

from __future__ import annotations

import asyncio
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot.core.archives import DOCUMENT_LIMITS, ArchiveTooLarge, check_zip
from bot.core.chat import MediaRef
from bot.reports.media import (
    MediaProblem,
    MediaRejected,
    MediaStore,
    put_content,
    read_within,
    source_of,
)

MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The content type of each format's main part, and where that part lives.
_OOXML = {
    "docx": (
        "word/",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}
_CONTENT_TYPES = "[Content_Types].xml"
_CONTENT_TYPES_LIMIT = 1024 * 1024
_NAME_LIMIT = 200


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document as stored."""

    sha256: str
    key: str
    mime: str
    size: int
    name: str


async def take_document(store: MediaStore, ref: MediaRef, max_bytes: int) -> StoredDocument:
    """Check and store a document the channel downloaded; raises MediaRejected."""
    source = source_of(ref, max_bytes)
    return await asyncio.to_thread(store_document, store, source, ref.file_name or "", max_bytes)


def store_document(
    store: MediaStore, source: Path, file_name: str, max_bytes: int
) -> StoredDocument:
    """Check `source` is a PDF, DOCX or XLSX within the size limit, and store it (blocking)."""
    data = read_within(source, max_bytes)
    extension = sniff(data)
    digest, key = put_content(store, data, extension)
    return StoredDocument(
        sha256=digest,
        key=key,
        mime=MIME[extension],
        size=len(data),
        name=clean_name(file_name, extension),
    )


def sniff(data: bytes) -> str:
    """The document's type from its bytes: "pdf", "docx" or "xlsx"; raises MediaRejected."""
    if b"%PDF-" in data[:1024]:
        if b"%%EOF" not in data[-2048:]:
            raise MediaRejected(MediaProblem.broken)  # cut off in transit
        return "pdf"
    if not data.startswith(b"PK\x03\x04"):
        raise MediaRejected(MediaProblem.unsupported)
    try:
        # Entry count and sizes from the directory, before zipfile builds the entry list.
        check_zip(data, DOCUMENT_LIMITS)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            info = archive.getinfo(_CONTENT_TYPES) if _CONTENT_TYPES in names else None
            if info is None or info.file_size > _CONTENT_TYPES_LIMIT:
                raise MediaRejected(MediaProblem.unsupported)
            types = archive.read(info).decode("utf-8", "replace")
    except ArchiveTooLarge as exc:
        raise MediaRejected(MediaProblem.too_much_inside) from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise MediaRejected(MediaProblem.broken) from exc
    for extension, (folder, main_type) in _OOXML.items():
        if f'ContentType="{main_type}"' in types and any(n.startswith(folder) for n in names):
            return extension
    raise MediaRejected(MediaProblem.unsupported)


def clean_name(file_name: str, extension: str) -> str:
    """A file name safe to show and to send back: no path, no control characters."""
    name = Path(file_name.replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if not name:
        name = f"report.{extension}"
    if not name.casefold().endswith(f".{extension}"):
        # Named after what it is: a PDF called "x.exe" is sent back as "x.exe.pdf".
        name = f"{name}.{extension}"
    if len(name) > _NAME_LIMIT:
        stem, dot, suffix = name.rpartition(".")
        name = (
            (stem[: _NAME_LIMIT - len(suffix) - 1] + dot + suffix) if dot else name[:_NAME_LIMIT]
        )
    return name
