"""Photos and voice notes from the field: checked, stored content-addressed, described.

A photo is only kept when Pillow can really decode it: the byte limit is checked before
reading, the pixel count before decoding (a decompression bomb is a tiny file that claims
billions of pixels), and the image is decoded once to make its thumbnail. Files are stored
under their sha256 (`ab/cd/<sha256>.<ext>`), so the same photo sent twice is stored once.
The original is kept as sent, EXIF included; capture time and GPS are read into metadata.

Storage sits behind `MediaStore`, so an S3-compatible store can replace the local directory.
Checks run in a worker thread: decoding is CPU work that must not stall other users' events.
"""

from __future__ import annotations

import asyncio
import io
import math
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from hashlib import sha256
from pathlib import Path
from typing import Any, Protocol

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from bot.core.chat import MediaRef
from bot.core.config import Settings
from db.models import MediaKind, ReportMedia

THUMBNAIL_SIZE = 320  # px, longest side
THUMBNAIL_QUALITY = 80

# Formats a phone camera or messenger produces; MPO is how Pillow names some cameras' JPEGs.
_PHOTO_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}
_PHOTO_MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_VOICE_EXTENSIONS = {"ogg", "oga", "opus", "m4a", "aac", "mp3", "amr", "wav", "webm"}
_VOICE_MIME_EXTENSIONS = {
    "audio/ogg": "ogg",
    "audio/opus": "opus",
    "audio/aac": "aac",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/mpeg": "mp3",
    "audio/amr": "amr",
    "audio/wav": "wav",
    "audio/webm": "webm",
}


class MediaProblem(StrEnum):
    """Why a file was refused (handlers turn these into sentences in the user's language)."""

    too_large = "too_large"
    download_failed = "download_failed"
    not_image = "not_image"
    unsupported = "unsupported"
    too_many_pixels = "too_many_pixels"
    broken = "broken"


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

    @classmethod
    def of(cls, settings: Settings) -> MediaLimits:
        """The limits configured in `settings`."""
        return cls(settings.max_photo_bytes, settings.max_image_pixels, settings.tz)


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
        temporary.write_bytes(data)
        os.replace(temporary, target)

    def local_path(self, key: str) -> Path:
        """The file's path under MEDIA_DIR."""
        return self.root / key


def open_store(settings: Settings) -> MediaStore:
    """The media store configured in `settings` (the local directory for now)."""
    return LocalMediaStore(settings.media_dir)


def content_key(digest: str, extension: str) -> str:
    """The storage key of a file with this sha256: fanned out over two directory levels."""
    return f"{digest[:2]}/{digest[2:4]}/{digest}.{extension}"


def attachment_row(
    stored: StoredMedia, report_id: int, *, at: datetime, duplicate: bool = False
) -> ReportMedia:
    """The database row attaching a stored file to a report."""
    latitude, longitude = stored.gps if stored.gps else (None, None)
    return ReportMedia(
        report_id=report_id,
        kind=stored.kind.value,
        path=stored.key,
        thumb_path=stored.thumb_key,
        sha256=stored.sha256,
        size=stored.size,
        mime=stored.mime,
        width=stored.width,
        height=stored.height,
        gps_lat=latitude,
        gps_lon=longitude,
        taken_at=stored.taken_at,
        duplicate=duplicate,
        created_at=at,
    )


async def take_photo(store: MediaStore, ref: MediaRef, limits: MediaLimits) -> StoredMedia:
    """Check and store a photo the channel downloaded; raises MediaRejected with the reason."""
    source = source_of(ref, limits.max_bytes)
    return await asyncio.to_thread(store_photo, store, source, limits)


async def take_voice(store: MediaStore, ref: MediaRef, limits: MediaLimits) -> StoredMedia:
    """Store a voice note the channel downloaded; raises MediaRejected with the reason."""
    source = source_of(ref, limits.max_bytes)
    return await asyncio.to_thread(store_voice, store, source, limits, ref)


def source_of(ref: MediaRef, max_bytes: int) -> Path:
    """The file a channel downloaded for `ref`; MediaRejected when there is none to take."""
    if ref.problem == MediaProblem.too_large.value:
        raise MediaRejected(MediaProblem.too_large)
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


def store_photo(store: MediaStore, source: Path, limits: MediaLimits) -> StoredMedia:
    """Check `source` is a real photo within limits, store it and its thumbnail (blocking)."""
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
    digest, key = put_content(store, data, extension)
    thumb_key = content_key(digest, "thumb.jpg")
    if not store.exists(thumb_key):
        store.put(thumb_key, thumbnail)
    return StoredMedia(
        kind=MediaKind.photo,
        sha256=digest,
        key=key,
        thumb_key=thumb_key,
        mime=_PHOTO_MIME[extension],
        size=len(data),
        width=width,
        height=height,
        taken_at=_taken_at(exif, limits.tz),
        gps=_gps(exif),
    )


def _inspect(data: bytes, limits: MediaLimits) -> tuple[str, int, int, bytes, Image.Exif]:
    """Verify and decode the image; its extension, size, JPEG thumbnail and EXIF."""
    with Image.open(io.BytesIO(data)) as probe:
        extension = _PHOTO_FORMATS.get(probe.format or "")
        if extension is None:
            raise MediaRejected(MediaProblem.unsupported)
        width, height = probe.size
        # Checked before anything is decoded: the header alone says how big the bitmap would be.
        if width * height > limits.max_pixels:
            raise MediaRejected(MediaProblem.too_many_pixels)
        probe.verify()
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        # JPEG decodes at a reduced scale when only a thumbnail is needed: much faster, and the
        # whole stream is still read, so a truncated file still fails here.
        image.draft("RGB", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))
        image.load()
        upright = ImageOps.exif_transpose(image)
        small = upright.convert("RGB")
        small.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return extension, width, height, out.getvalue(), exif


def store_voice(
    store: MediaStore, source: Path, limits: MediaLimits, ref: MediaRef
) -> StoredMedia:
    """Store a voice note as sent (blocking); only its size is checked."""
    data = _read(source, limits)
    digest, key = put_content(store, data, _voice_extension(ref))
    return StoredMedia(
        kind=MediaKind.voice,
        sha256=digest,
        key=key,
        thumb_key="",
        mime=(ref.mime or "application/octet-stream")[:64],
        size=len(data),
    )


def _voice_extension(ref: MediaRef) -> str:
    suffix = Path(ref.file_name or "").suffix.lower().lstrip(".")
    if suffix in _VOICE_EXTENSIONS:
        return suffix
    return _VOICE_MIME_EXTENSIONS.get((ref.mime or "").lower(), "bin")


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
