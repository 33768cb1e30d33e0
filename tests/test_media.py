"""Photo and voice storage: real image checks, content addressing, thumbnails, EXIF."""

from __future__ import annotations

import asyncio
import errno
import os
import struct
import threading
import zlib
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.core.chat import MediaRef
from bot.core.config import Settings
from bot.reports import media
from bot.reports.media import (
    LocalMediaStore,
    MediaLimits,
    MediaProblem,
    MediaRejected,
    content_key,
    store_photo,
    take_photo,
    take_voice,
)
from db.models import MediaKind
from tests.fakes.runtime import eventually
from tests.fixtures.reporting import jpeg, png_bomb, ref

LIMITS = MediaLimits(
    max_bytes=10 * 1024 * 1024, max_pixels=50_000_000, tz=ZoneInfo("Asia/Ho_Chi_Minh")
)


@pytest.fixture
def store(tmp_media: Path) -> LocalMediaStore:
    """A store in the test's own media directory."""
    return LocalMediaStore(tmp_media)


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_photo_is_stored_by_content_with_thumbnail_and_exif(
    store: LocalMediaStore, tmp_path: Path
) -> None:
    source = jpeg(
        tmp_path / "field.jpg", size=(1600, 1200), taken="2026:11:24 08:30:00", gps=(13.875, 107.6)
    )
    stored = store_photo(store, source, LIMITS)
    assert stored.kind is MediaKind.photo
    assert stored.key == content_key(stored.sha256, "jpg")
    assert stored.key.startswith(f"{stored.sha256[:2]}/{stored.sha256[2:4]}/")
    # The original is kept byte for byte (EXIF included); nothing is stripped.
    assert store.local_path(stored.key).read_bytes() == source.read_bytes()
    assert (stored.width, stored.height, stored.size) == (1600, 1200, source.stat().st_size)
    assert stored.mime == "image/jpeg"
    # Camera time is Vietnam time: 08:30 local is 01:30 UTC.
    assert stored.taken_at == datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    assert stored.gps is not None
    assert stored.gps == pytest.approx((13.875, 107.6), abs=1e-4)
    with Image.open(store.local_path(stored.thumb_key)) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) == 320


def test_same_photo_twice_is_stored_once(store: LocalMediaStore, tmp_path: Path) -> None:
    source = jpeg(tmp_path / "a.jpg")
    copy = tmp_path / "copy-of-a.jpg"
    copy.write_bytes(source.read_bytes())
    first = store_photo(store, source, LIMITS)
    second = store_photo(store, copy, LIMITS)
    assert first.sha256 == second.sha256
    assert first.key == second.key
    assert len(stored_files(store.root)) == 2  # the photo and its thumbnail


def test_photo_without_exif_has_no_time_or_place(store: LocalMediaStore, tmp_path: Path) -> None:
    stored = store_photo(store, jpeg(tmp_path / "plain.jpg"), LIMITS)
    assert stored.taken_at is None
    assert stored.gps is None


def test_png_with_transparency_is_accepted(store: LocalMediaStore, tmp_path: Path) -> None:
    path = tmp_path / "poster.png"
    Image.new("RGBA", (300, 500), (10, 200, 30, 128)).save(path)
    stored = store_photo(store, path, LIMITS)
    assert stored.key.endswith(".png")
    assert stored.mime == "image/png"
    with Image.open(store.local_path(stored.thumb_key)) as thumb:
        assert thumb.size == (192, 320)


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p.write_bytes(os.urandom(5000)), MediaProblem.not_image),
        (lambda p: p.write_text("hello, this is not a photo\n"), MediaProblem.not_image),
        (lambda p: p.write_bytes(b""), MediaProblem.not_image),
        (lambda p: png_bomb(p), MediaProblem.too_many_pixels),
        (lambda p: png_bomb(p, side=10_000), MediaProblem.too_many_pixels),
        (lambda p: Image.new("RGB", (40, 40)).save(p, "GIF"), MediaProblem.unsupported),
        (lambda p: Image.new("RGB", (40, 40)).save(p, "BMP"), MediaProblem.unsupported),
    ],
    ids=["random-bytes", "text-file", "empty", "bomb", "bomb-warning", "gif", "bmp"],
)
def test_files_that_are_not_acceptable_photos_are_refused(
    store: LocalMediaStore,
    tmp_path: Path,
    make,
    problem: MediaProblem,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "photo.jpg"
    make(path)
    with pytest.raises(MediaRejected) as refused:
        store_photo(store, path, LIMITS)
    assert refused.value.problem is problem
    assert stored_files(store.root) == []


def test_truncated_jpeg_is_refused_as_damaged(store: LocalMediaStore, tmp_path: Path) -> None:
    whole = jpeg(tmp_path / "whole.jpg", size=(800, 600)).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(MediaRejected) as refused:
        store_photo(store, cut, LIMITS)
    assert refused.value.problem is MediaProblem.broken


def test_size_and_pixel_limits_come_from_settings(store: LocalMediaStore, tmp_path: Path) -> None:
    source = jpeg(tmp_path / "big.jpg", size=(1000, 1000))
    small_bytes = MediaLimits(max_bytes=source.stat().st_size - 1, max_pixels=50_000_000, tz=UTC)
    with pytest.raises(MediaRejected) as refused:
        store_photo(store, source, small_bytes)
    assert refused.value.problem is MediaProblem.too_large
    few_pixels = MediaLimits(max_bytes=10**7, max_pixels=999_999, tz=UTC)
    with pytest.raises(MediaRejected) as refused:
        store_photo(store, source, few_pixels)
    assert refused.value.problem is MediaProblem.too_many_pixels


@pytest.mark.parametrize(
    ("media", "problem"),
    [
        (MediaRef("x", problem="too_large"), MediaProblem.too_large),
        (MediaRef("x", problem="download_failed"), MediaProblem.download_failed),
        (MediaRef("x"), MediaProblem.download_failed),
        (MediaRef("x", path="/no/such/file.jpg"), MediaProblem.download_failed),
        (MediaRef("x", path="/dev/null", size=11 * 1024 * 1024), MediaProblem.too_large),
    ],
)
async def test_what_the_channel_could_not_fetch_is_refused(
    store: LocalMediaStore, media: MediaRef, problem: MediaProblem
) -> None:
    with pytest.raises(MediaRejected) as refused:
        await take_photo(store, media, LIMITS)
    assert refused.value.problem is problem


async def test_voice_note_is_stored_as_sent(store: LocalMediaStore, tmp_path: Path) -> None:
    voice = tmp_path / "voice.ogg"
    voice.write_bytes(b"OggS" + os.urandom(2000))
    stored = await take_voice(store, ref(voice, mime="audio/ogg"), LIMITS)
    assert stored.kind is MediaKind.voice
    assert stored.key.endswith(".ogg")
    assert store.local_path(stored.key).read_bytes() == voice.read_bytes()
    # The content decides the type, not the name or the type the sender claimed.
    unnamed = tmp_path / "blob.mp3"
    unnamed.write_bytes(b"\xff\xf1\x50\x80" + b"\x00" * 100)
    aac = await take_voice(store, ref(unnamed, mime="audio/mpeg"), LIMITS)
    assert aac.key.endswith(".aac") and aac.mime == "audio/aac"


@pytest.mark.parametrize(
    "content",
    [b"\x00" * 100, b"<html><script>alert(1)</script></html>", b"%PDF-1.4 not a voice", b""],
)
async def test_a_voice_message_that_is_not_audio_is_refused(
    store: LocalMediaStore, tmp_path: Path, content: bytes
) -> None:
    fake = tmp_path / "voice.ogg"
    fake.write_bytes(content)
    with pytest.raises(MediaRejected):
        await take_voice(store, ref(fake, mime="audio/ogg"), LIMITS)
    assert not any(path.is_file() for path in store.root.rglob("*"))


async def test_async_photo_check_gives_the_same_result(
    store: LocalMediaStore, tmp_path: Path
) -> None:
    source = jpeg(tmp_path / "field.jpg")
    stored = await take_photo(store, ref(source), LIMITS)
    assert store.exists(stored.key)
    assert store.exists(stored.thumb_key)


def _lossless_bomb(path: Path, width: int, height: int) -> Path:
    """A valid all-black greyscale PNG of width × height pixels, a few KiB on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = zlib.compressobj(9)
    body = b"".join(rows.compress(b"\0" * (width + 1)) for _ in range(height)) + rows.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    return path


def test_a_small_lossless_bomb_is_refused_before_decoding(
    settings: Settings, store: LocalMediaStore, tmp_path: Path
) -> None:
    # 5000 × 5000 = 25 megapixels: under the JPEG limit (JPEG decodes at 1/8 scale), over the
    # lower limit of formats that decode at full size.
    bomb = _lossless_bomb(tmp_path / "bomb.png", 5000, 5000)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(MediaRejected) as refused:
        store_photo(store, bomb, MediaLimits.of(settings))
    assert refused.value.problem is MediaProblem.too_many_pixels
    assert stored_files(store.root) == []


def test_webp_and_png_have_the_lower_pixel_limit_jpeg_the_higher(
    store: LocalMediaStore, tmp_path: Path
) -> None:
    limits = MediaLimits(max_bytes=10**7, max_pixels=5_000_000, tz=UTC, max_lossless_pixels=10**6)
    picture = Image.new("RGB", (1200, 1000), (20, 120, 40))
    webp, png, jpg = tmp_path / "a.webp", tmp_path / "a.png", tmp_path / "a.jpg"
    picture.save(webp, "WEBP", lossless=True)
    picture.save(png, "PNG")
    picture.save(jpg, "JPEG")
    for lossless in (webp, png):
        with pytest.raises(MediaRejected) as refused:
            store_photo(store, lossless, limits)
        assert refused.value.problem is MediaProblem.too_many_pixels
    stored = store_photo(store, jpg, limits)
    assert (stored.width, stored.height) == (1200, 1000)


async def test_decoding_is_bounded_in_concurrency(
    store: LocalMediaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = jpeg(tmp_path / "field.jpg")
    real_check = media.check_photo
    inside, peak = 0, 0
    lock, release = threading.Lock(), threading.Event()

    def held_check(path: Path, limits: MediaLimits) -> media.CheckedPhoto:
        nonlocal inside, peak
        with lock:
            inside += 1
            peak = max(peak, inside)
        release.wait(10)
        with lock:
            inside -= 1
        return real_check(path, limits)

    monkeypatch.setattr(media, "check_photo", held_check)
    tasks = [asyncio.create_task(take_photo(store, ref(source), LIMITS)) for _ in range(6)]

    async def decoding_started() -> bool:
        return inside >= media.DECODE_CONCURRENCY

    await eventually(decoding_started)
    for _ in range(5):  # give the other four every chance to start
        await asyncio.sleep(0.01)
    assert inside == media.DECODE_CONCURRENCY
    release.set()
    results = await asyncio.gather(*tasks)
    assert peak == media.DECODE_CONCURRENCY
    assert len({stored.key for stored in results}) == 1


def test_a_full_disk_leaves_no_partial_file(
    store: LocalMediaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: Path, data: bytes) -> int:
        self.write_text("half")  # some bytes made it before the disk filled up
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(OSError, match="No space"):
        store.put("ab/cd/abcd.jpg", b"\xff\xd8 photo")
    monkeypatch.undo()
    assert stored_files(store.root) == []
