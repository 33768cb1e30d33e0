"""Photos and voice notes from the field: checked, stored content-addressed, described.

A photo is only kept when Pillow can really decode it: the byte limit is checked before
reading, the pixel count before decoding (a decompression bomb is a tiny file that claims
billions of pixels), and the image is decoded once to make its thumbnail. Files are stored
under their sha256 (`ab/cd/<sha256>.<ext>`), so the same photo sent twice is stored once.
The original is kept as sent, EXIF included; capture time and GPS are read into metadata.

Storage sits behind `MediaStore`, so an S3-compatible store can replace the local directory.
Checks run in a worker thread: decoding is CPU work that must not stall other users' events.
They run before the event's database transaction (`MediaChecks.precheck`, called by the
engine), so a slow decode holds no lock, and at most `DECODE_CONCURRENCY` run at once. Lossless
formats (PNG, WebP) cannot be decoded at a reduced scale as JPEG can, so they have a lower pixel
limit: a 2 KiB WebP can claim tens of megapixels.
"""

from __future__ import annotations

import asyncio
import io
import math
import os
import re
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from hashlib import sha256
from pathlib import Path
from typing import Any, Protocol

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from bot.core.chat import Incoming, Kind, MediaRef
from bot.core.config import Settings
from db.models import MediaKind, ReportMedia
from db.repositories import Repos

THUMBNAIL_SIZE = 320  # px, longest side
THUMBNAIL_QUALITY = 80
DECODE_CONCURRENCY = 2  # images decoded at once per process: each may take tens of MiB

# Formats a phone camera or messenger produces; MPO is how Pillow names some cameras' JPEGs.
_PHOTO_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}
_PHOTO_MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_VOICE_MIME = {
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "mp3": "audio/mpeg",
    "amr": "audio/amr",
    "wav": "audio/wav",
    "webm": "audio/webm",
}


class MediaProblem(StrEnum):
    """Why a file was refused (handlers turn these into sentences in the user's language)."""

    too_large = "too_large"
    download_failed = "download_failed"
    not_image = "not_image"
    unsupported = "unsupported"
    too_many_pixels = "too_many_pixels"
    broken = "broken"
    too_much_inside = "too_much_inside"  # an archive (.docx, .xlsx): too many parts, or too big
    no_space = "no_space"  # received, but the disk under MEDIA_DIR is full


class MediaRejected(Exception):  # noqa: N818  (a verdict on the file, not a failure of ours)
    """The file cannot be kept; `problem` says why."""

    def __init__(self, problem: MediaProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """The checks' limits, from settings."""

    max_bytes: int
    max_pixels: int
    tz: tzinfo
    max_lossless_pixels: int = 16_000_000

    @classmethod
    def of(cls, settings: Settings) -> MediaLimits:
        """The limits configured in `settings`."""
        return cls(
            settings.max_photo_bytes,
            settings.max_image_pixels,
            settings.tz,
            min(settings.max_lossless_pixels, settings.max_image_pixels),
        )

    def pixels_for(self, extension: str) -> int:
        """The pixel limit of a format: JPEG decodes at a reduced scale, the others do not."""
        return self.max_pixels if extension == "jpg" else self.max_lossless_pixels


@dataclass(frozen=True, slots=True)
class StoredMedia:
    """A file as stored, with what was read from it."""

    kind: MediaKind
    sha256: str
    key: str
    thumb_key: str
    mime: str
    size: int
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    gps: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class CheckedPhoto:
    """A photo that decoded within the limits: what was read from it, not yet stored."""

    source: str
    sha256: str
    extension: str
    size: int
    width: int
    height: int
    thumbnail: bytes
    taken_at: datetime | None
    gps: tuple[float, float] | None


class MediaStore(Protocol):
    """Where media files live, addressed by key ("ab/cd/<sha256>.jpg")."""

    def exists(self, key: str) -> bool:
        """Whether a file is stored under `key`."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (atomically: readers never see half a file)."""
        ...

    def local_path(self, key: str) -> Path:
        """A local file holding `key`, for channels to send."""
        ...

    def delete_content(self, digest: str) -> int:
        """Delete every file stored for the sha256 `digest`; how many there were."""
        ...

    def contents(self) -> Iterator[tuple[str, float]]:
        """The sha256 and modification time (Unix seconds) of every stored file."""
        ...


class LocalMediaStore:
    """A directory on this machine (MEDIA_DIR)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def exists(self, key: str) -> bool:
        """Whether a file is stored under `key`."""
        return (self.root / key).is_file()

    def put(self, key: str, data: bytes) -> None:
        """Write via a temporary file and rename, so a crash never leaves half a file."""
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            temporary.write_bytes(data)
            os.replace(temporary, target)
        except BaseException:
            # A full disk must not leave half a file behind under MEDIA_DIR.
            temporary.unlink(missing_ok=True)
            raise

    def local_path(self, key: str) -> Path:
        """The file's path under MEDIA_DIR."""
        return self.root / key

    def _files_of(self, digest: str) -> list[Path]:
        folder = self.root / digest[:2] / digest[2:4]
        candidates = [*folder.glob(f"{digest}.*"), *(self.root / "public").glob(f"{digest}.*")]
        return [path for path in candidates if path.is_file()]

    def delete_content(self, digest: str) -> int:
        """Unlink the original, its thumbnail and its public copy (blocking)."""
        if not _DIGEST.fullmatch(digest):
            return 0
        removed = 0
        for path in self._files_of(digest):
            path.unlink(missing_ok=True)
            removed += 1
        return removed

    def contents(self) -> Iterator[tuple[str, float]]:
        """Stored files by digest, the inbound spool left out (it has its own sweep)."""
        for path in self.root.rglob("*"):
            digest = path.name.split(".", 1)[0]
            if not _DIGEST.fullmatch(digest) or path.parent.name == "incoming":
                continue
            try:
                yield digest, path.stat().st_mtime
            except OSError:  # deleted meanwhile
                continue


_DIGEST = re.compile(r"[0-9a-f]{64}")


def open_store(settings: Settings) -> MediaStore:
    """The media store configured in `settings` (the local directory for now)."""
    return LocalMediaStore(settings.media_dir)


def content_key(digest: str, extension: str) -> str:
    """The storage key of a file with this sha256: fanned out over two directory levels."""
    return f"{digest[:2]}/{digest[2:4]}/{digest}.{extension}"


# One semaphore per event loop (tests run many loops; an asyncio primitive is bound to one).
_DECODE_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _decode_slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slots = _DECODE_SLOTS.get(loop)
    if slots is None:
        slots = _DECODE_SLOTS[loop] = asyncio.Semaphore(DECODE_CONCURRENCY)
    return slots


async def check_photo_of(ref: MediaRef, limits: MediaLimits) -> CheckedPhoto:
    """Decode the photo a channel downloaded (bounded in concurrency); MediaRejected if bad."""
    source = source_of(ref, limits.max_bytes)
    async with _decode_slots():
        return await asyncio.to_thread(check_photo, source, limits)


# What a stored file and its report_media row both call the same.
_SAME_NAMES = ("sha256", "size", "mime", "width", "height", "taken_at")


def attachment_row(
    stored: StoredMedia, report_id: int, *, at: datetime, duplicate: bool = False
) -> ReportMedia:
    """The database row attaching a stored file to a report."""
    latitude, longitude = stored.gps if stored.gps else (None, None)
    alike = {name: getattr(stored, name) for name in _SAME_NAMES}  # copied as they are
    return ReportMedia(
        report_id=report_id,
        kind=stored.kind.value,
        path=stored.key,
        thumb_path=stored.thumb_key,
        gps_lat=latitude,
        gps_lon=longitude,
        duplicate=duplicate,
        created_at=at,
        **alike,
    )


async def take_photo(store: MediaStore, ref: MediaRef, limits: MediaLimits) -> StoredMedia:
    """Check and store a photo the channel downloaded; raises MediaRejected with the reason."""
    checked = await check_photo_of(ref, limits)
    return await asyncio.to_thread(keep_photo, store, Path(checked.source), checked, limits)


async def take_voice(store: MediaStore, ref: MediaRef, limits: MediaLimits) -> StoredMedia:
    """Store a voice note the channel downloaded; raises MediaRejected with the reason."""
    source = source_of(ref, limits.max_bytes)
    return await asyncio.to_thread(store_voice, store, source, limits, ref)


class MediaChecks:
    """Photos decoded ahead of the event's transaction, stored when a handler keeps them.

    The verdict on each spooled file is remembered (briefly, by its unique spool path) until
    the handler asks for it; a verdict nobody asks for is forgotten after `REMEMBERED` others.
    Nothing is written before a handler decides to keep the photo.
    """

    REMEMBERED = 64

    def __init__(self, settings: Settings) -> None:
        self.store = open_store(settings)
        self.limits = MediaLimits.of(settings)
        self._verdicts: OrderedDict[str, CheckedPhoto | MediaRejected] = OrderedDict()

    async def precheck(self, event: Incoming) -> None:
        """Decode the photos of `event` now, outside any database transaction."""
        if event.kind is not Kind.photo:
            return
        for ref in event.media:
            if ref.path is None or ref.path in self._verdicts:
                continue
            try:
                verdict: CheckedPhoto | MediaRejected = await check_photo_of(ref, self.limits)
            except MediaRejected as rejected:
                verdict = rejected
            self._verdicts[ref.path] = verdict
            while len(self._verdicts) > self.REMEMBERED:
                self._verdicts.popitem(last=False)

    async def photo(self, ref: MediaRef) -> StoredMedia:
        """Store the photo of `ref` (decoded now unless it was before); MediaRejected if bad."""
        verdict = self._verdicts.pop(ref.path, None) if ref.path is not None else None
        if verdict is None:
            verdict = await check_photo_of(ref, self.limits)
        if isinstance(verdict, MediaRejected):
            raise verdict
        return await asyncio.to_thread(
            keep_photo, self.store, Path(verdict.source), verdict, self.limits
        )


def source_of(ref: MediaRef, max_bytes: int) -> Path:
    """The file a channel downloaded for `ref`; MediaRejected when there is none to take."""
    if ref.problem in (MediaProblem.too_large.value, MediaProblem.no_space.value):
        raise MediaRejected(MediaProblem(ref.problem))
    if ref.problem or ref.path is None:
        raise MediaRejected(MediaProblem.download_failed)
    if ref.size is not None and ref.size > max_bytes:
        raise MediaRejected(MediaProblem.too_large)
    return Path(ref.path)


def read_within(source: Path, max_bytes: int) -> bytes:
    """The bytes of `source`, at most `max_bytes` of them, else MediaRejected (blocking)."""
    try:
        if source.stat().st_size > max_bytes:
            raise MediaRejected(MediaProblem.too_large)
        data = source.read_bytes()
    except OSError as exc:
        raise MediaRejected(MediaProblem.download_failed) from exc
    if len(data) > max_bytes:  # the file grew between stat and read
        raise MediaRejected(MediaProblem.too_large)
    return data


def put_content(store: MediaStore, data: bytes, extension: str) -> tuple[str, str]:
    """Store `data` under its sha256 unless it is there already; its digest and key."""
    digest = sha256(data).hexdigest()
    key = content_key(digest, extension)
    if not store.exists(key):
        store.put(key, data)
    return digest, key


def _read(source: Path, limits: MediaLimits) -> bytes:
    data = read_within(source, limits.max_bytes)
    if not data:
        raise MediaRejected(MediaProblem.not_image)
    return data


def check_photo(source: Path, limits: MediaLimits) -> CheckedPhoto:
    """Check `source` is a real photo within limits by decoding it (blocking; stores nothing)."""
    data = _read(source, limits)
    try:
        extension, width, height, thumbnail, exif = _inspect(data, limits)
    except UnidentifiedImageError as exc:
        raise MediaRejected(MediaProblem.not_image) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # The warning arrives as an exception where warnings are errors (the test suite);
        # elsewhere Pillow only warns and our own, lower pixel limit refuses the file.
        raise MediaRejected(MediaProblem.too_many_pixels) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        # Pillow reports truncated and corrupt files through any of these.
        raise MediaRejected(MediaProblem.broken) from exc
    return CheckedPhoto(
        source=str(source),
        sha256=sha256(data).hexdigest(),
        extension=extension,
        size=len(data),
        width=width,
        height=height,
        thumbnail=thumbnail,
        taken_at=_taken_at(exif, limits.tz),
        gps=_gps(exif),
    )


def keep_photo(
    store: MediaStore, source: Path, checked: CheckedPhoto, limits: MediaLimits
) -> StoredMedia:
    """Store a checked photo and its thumbnail (blocking); the file must be the one checked."""
    data = read_within(source, limits.max_bytes)
    if sha256(data).hexdigest() != checked.sha256:  # the spool file changed since: refuse
        raise MediaRejected(MediaProblem.download_failed)
    digest, key = put_content(store, data, checked.extension)
    thumb_key = content_key(digest, "thumb.jpg")
    if not store.exists(thumb_key):
        store.put(thumb_key, checked.thumbnail)
    return StoredMedia(
        kind=MediaKind.photo,
        sha256=digest,
        key=key,
        thumb_key=thumb_key,
        mime=_PHOTO_MIME[checked.extension],
        size=checked.size,
        width=checked.width,
        height=checked.height,
        taken_at=checked.taken_at,
        gps=checked.gps,
    )


def store_photo(store: MediaStore, source: Path, limits: MediaLimits) -> StoredMedia:
    """Check `source` is a real photo within limits, store it and its thumbnail (blocking)."""
    return keep_photo(store, source, check_photo(source, limits), limits)


def _inspect(data: bytes, limits: MediaLimits) -> tuple[str, int, int, bytes, Image.Exif]:
    """Verify and decode the image; its extension, size, JPEG thumbnail and EXIF."""
    with Image.open(io.BytesIO(data)) as probe:
        extension = _PHOTO_FORMATS.get(probe.format or "")
        if extension is None:
            raise MediaRejected(MediaProblem.unsupported)
        width, height = probe.size
        # Checked before anything is decoded: the header alone says how big the bitmap would be.
        if width * height > limits.pixels_for(extension):
            raise MediaRejected(MediaProblem.too_many_pixels)
        probe.verify()
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        # JPEG decodes at a reduced scale when only a thumbnail is needed: much faster, and the
        # whole stream is still read, so a truncated file still fails here. Other formats are
        # shrunk (Image.reduce) before any copy is made: the full-size bitmap exists once.
        image.draft("RGB", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))
        image.load()
        image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        small = ImageOps.exif_transpose(image).convert("RGB")
        out = io.BytesIO()
        small.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return extension, width, height, out.getvalue(), exif


def store_voice(
    store: MediaStore, source: Path, limits: MediaLimits, ref: MediaRef
) -> StoredMedia:
    """Store a voice note (blocking) when its content is audio of a known container; its
    extension and type come from the content, not from what the sender claimed."""
    data = _read(source, limits)
    extension = voice_format(data)
    if extension is None:
        raise MediaRejected(MediaProblem.unsupported)
    digest, key = put_content(store, data, extension)
    return StoredMedia(
        kind=MediaKind.voice,
        sha256=digest,
        key=key,
        thumb_key="",
        mime=_VOICE_MIME[extension],
        size=len(data),
    )


def voice_format(data: bytes) -> str | None:
    """The container of a voice recording, from its first bytes (None: not audio we know)."""
    head = data[:16]
    if head.startswith(b"OggS"):
        return "ogg"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"  # ADTS: a 12-bit sync word, layer 0 (Zalo's voice notes)
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mp3"  # an MPEG audio frame sync without an ID3 tag
    return None


# --- deletion ---------------------------------------------------------------------------------


async def delete_media_if_unreferenced(
    repos: Repos, store: MediaStore, digests: Iterable[str]
) -> int:
    """Unlink the files of each sha256 that no row refers to any more (original, thumbnail,
    public copy); how many files went.

    Call it after deleting the rows, last in the transaction: files are shared by content, so
    a photo another report still has stays.
    """
    removed = 0
    for digest in sorted(set(digests)):
        if not _DIGEST.fullmatch(digest):
            continue
        if await repos.media.references(digest) == 0:
            removed += await asyncio.to_thread(store.delete_content, digest)
    return removed


async def sweep_orphans(repos: Repos, store: MediaStore, *, older_than: float) -> int:
    """Unlink stored files no row refers to, last changed before `older_than` (Unix seconds;
    younger files may belong to a row about to be committed); how many files went."""
    referenced = await repos.media.referenced()
    stale = {
        digest
        for digest, changed in await asyncio.to_thread(lambda: list(store.contents()))
        if digest not in referenced and changed < older_than
    }
    removed = 0
    for digest in sorted(stale):
        removed += await asyncio.to_thread(store.delete_content, digest)
    return removed


# --- EXIF -----------------------------------------------------------------------------------


def _taken_at(exif: Image.Exif, tz: tzinfo) -> datetime | None:
    """When the camera says the photo was taken, in UTC.

    EXIF stores the camera's local time; with no offset tag it is read as Vietnam time
    (the phones that report from the field are set to it).
    """
    details = exif.get_ifd(ExifTags.IFD.Exif)
    raw = (
        details.get(ExifTags.Base.DateTimeOriginal)
        or details.get(ExifTags.Base.DateTimeDigitized)
        or exif.get(ExifTags.Base.DateTime)
    )
    if not isinstance(raw, str):
        return None
    try:
        local = datetime.strptime(raw.strip("\x00 ").strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    zone = _offset(details.get(ExifTags.Base.OffsetTimeOriginal)) or tz
    return local.replace(tzinfo=zone).astimezone(UTC)


def _offset(raw: Any) -> tzinfo | None:
    if not isinstance(raw, str) or len(raw.strip()) != 6 or raw.strip()[0] not in "+-":
        return None
    text = raw.strip()
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees, when the photo carries a sane GPS position."""
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    latitude = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef))
    longitude = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef))
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return round(latitude, 6), round(longitude, 6)


def _degrees(value: Any, ref: Any) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    total = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(total):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    return -total if str(ref).strip().upper() in {"S", "W"} else total
