"""Files across the channel boundary: the inbound spool and signed public links for outbound media.

Inbound: adapters download what users send at once (Zalo's CDN links expire; Telegram's are
valid for an hour) into `<MEDIA_DIR>/incoming/` under unguessable names, with a byte cap
enforced before and while reading, and hand the engine a `MediaRef`. The spool is a hand-over
area: the handler copies what it keeps, the adapter deletes the file after the event.

Outbound: Zalo cannot upload files, it fetches them by URL. `PublicFiles` gives a file under
MEDIA_DIR a URL `<PUBLIC_BASE_URL>/media/<token>/<path>` whose token signs the path and an
expiry (bot/core/signing.py), so only files Loa chose to publish can be fetched, and only for a
while (bot/web/server.py checks the token); images are served as copies without EXIF.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import mimetypes
import os
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

import aiohttp
from PIL import Image, ImageOps

from bot.core.chat import MediaRef
from bot.core.logging import redact
from bot.core.signing import Signer

log = logging.getLogger(__name__)

TOO_LARGE = "too_large"
DOWNLOAD_FAILED = "download_failed"
NO_SPACE = "no_space"  # the disk under MEDIA_DIR is full: it was received, not kept
SKIPPED = "skipped"  # not downloaded: the user's role and step cannot take this file
_CHUNK = 64 * 1024
SWEEP_AFTER = 24 * 3600.0


class Spool:
    """Downloads user files into `<media_dir>/incoming/`."""

    def __init__(self, media_dir: Path) -> None:
        self.dir = (media_dir / "incoming").resolve()

    async def fetch(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        ref: str,
        limit: int,
        time_limit: float,
        mime: str | None = None,
        file_name: str | None = None,
    ) -> MediaRef:
        """Download `url` (at most `limit` bytes); a `MediaRef` with a path, or with a problem."""
        self.dir.mkdir(parents=True, exist_ok=True)
        suffix = _suffix(file_name, mime, url)
        target = self.dir / f"{secrets.token_urlsafe(24)}{suffix}"
        partial = target.with_name(target.name + ".part")
        size = 0
        try:
            async with session.get(
                # No redirects: a file URL that points elsewhere is not followed to any host.
                url,
                timeout=aiohttp.ClientTimeout(total=time_limit),
                allow_redirects=False,
            ) as response:
                if response.status != 200:
                    log.warning("download of %s failed: HTTP %d", _safe(url), response.status)
                    return MediaRef(ref, mime=mime, file_name=file_name, problem=DOWNLOAD_FAILED)
                declared = response.content_length
                if declared is not None and declared > limit:
                    return MediaRef(
                        ref, size=declared, mime=mime, file_name=file_name, problem=TOO_LARGE
                    )
                header_mime = response.headers.get("Content-Type", "").split(";")[0].strip()
                with partial.open("wb") as out:
                    async for chunk in response.content.iter_chunked(_CHUNK):
                        size += len(chunk)
                        if size > limit:
                            break
                        out.write(chunk)
            if size > limit:
                partial.unlink(missing_ok=True)
                return MediaRef(ref, size=size, mime=mime, file_name=file_name, problem=TOO_LARGE)
            os.replace(partial, target)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            partial.unlink(missing_ok=True)
            log.warning("download of %s failed: %s", _safe(url), redact(f"{type(exc).__name__}"))
            full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
            local = full and not isinstance(exc, aiohttp.ClientError)  # our disk, not the network
            problem = NO_SPACE if local else DOWNLOAD_FAILED
            return MediaRef(ref, mime=mime, file_name=file_name, problem=problem)
        return MediaRef(
            ref,
            path=str(target),
            size=size,
            mime=mime or header_mime or None,
            file_name=file_name,
        )

    def sweep(self, older_than: float = SWEEP_AFTER) -> int:
        """Delete spool files left by a crash (older than a day: no event still needs them)."""
        if not self.dir.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for path in self.dir.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:  # another process swept it first
                continue
        if removed:
            log.info("spool: %d files left by an earlier run removed", removed)
        return removed

    def discard(self, media: tuple[MediaRef, ...]) -> None:
        """Delete spooled files of an event that has been handled."""
        for item in media:
            if item.path is None:
                continue
            path = Path(item.path)
            if path.parent == self.dir:  # never a file the spool did not write
                path.unlink(missing_ok=True)


def skipped(ref: str, mime: str | None = None, file_name: str | None = None) -> MediaRef:
    """A file left on the platform: nothing the user's step could keep, so never fetched."""
    return MediaRef(ref, mime=mime, file_name=file_name, problem=SKIPPED)


def _suffix(file_name: str | None, mime: str | None, url: str) -> str:
    for candidate in (file_name or "", PurePosixPath(urlsplit(url).path).name):
        suffix = PurePosixPath(candidate).suffix.lower()
        if suffix and len(suffix) <= 6 and suffix[1:].isalnum():
            return suffix
    guessed = mimetypes.guess_extension(mime or "") if mime else None
    return guessed or ""


def _safe(url: str) -> str:
    """A URL fit for a log line: no query string (CDN signatures), no token in the path."""
    parts = urlsplit(url)
    return redact(f"{parts.scheme}://{parts.netloc}{parts.path}")


class PublicFiles:
    """Expiring signed URLs for files under MEDIA_DIR; other files are copied in first.

    Images are never published as stored: an EXIF-free copy (location, camera, capture time
    removed; turned upright) goes under `public/`, and the link points at it.
    """

    def __init__(
        self,
        media_dir: Path,
        secret: str,
        base_url: str | None,
        *,
        valid_for: float = 24 * 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = media_dir.resolve()
        self.signer = Signer(secret, "media")
        self.base_url = base_url.rstrip("/") if base_url else None
        self.valid_for = valid_for
        self.clock = clock
        self._published: dict[tuple[str, int, int], str] = {}

    def token(self, relative: str, expires_at: float | None = None) -> str:
        """The token that unlocks `relative` (a path under MEDIA_DIR) until `expires_at`."""
        if expires_at is None:
            expires_at = self.clock() + self.valid_for
        return self.signer.sign(relative, expires_at)

    def url_for(self, path: Path, *, valid_for: float | None = None) -> str | None:
        """A public URL for `path` that works for `valid_for` seconds (MEDIA_LINK_HOURS when
        not given), or None when no PUBLIC_BASE_URL is configured."""
        if self.base_url is None:
            return None
        relative = self.publish(path)
        lifetime = self.valid_for if valid_for is None else valid_for
        token = self.token(relative, self.clock() + lifetime)
        return f"{self.base_url}/media/{token}/{quote(relative)}"

    def publish(self, path: Path) -> str:
        """The path under MEDIA_DIR to serve for `path`: an EXIF-free copy of an image, a copy
        under `public/` of a file from elsewhere, else the file itself (blocking)."""
        source = path.resolve()
        image = source.suffix.lower() in _IMAGE_SUFFIXES
        if source.is_relative_to(self.root) and not image:
            return source.relative_to(self.root).as_posix()
        stat = source.stat()
        key = (str(source), stat.st_mtime_ns, stat.st_size)
        known = self._published.get(key)
        if known is not None and (self.root / known).is_file():
            return known
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        suffix = ".jpg" if image else source.suffix.lower()
        relative = f"public/{digest}{suffix}"
        target = self.root / relative
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
            try:
                if image:
                    temporary.write_bytes(without_metadata(data))
                else:
                    shutil.copyfile(source, temporary)
                os.replace(temporary, target)
            finally:
                temporary.unlink(missing_ok=True)
        self._published[key] = relative
        return relative

    def resolve(self, token: str, relative: str) -> Path | None:
        """The file a media URL points to, or None unless the token is valid for it (signed,
        not expired) and it is a file."""
        if not self.signer.verify(token, relative, self.clock()):
            return None
        candidate = (self.root / relative).resolve()
        # The token covers the exact string, but a signed path must still stay inside the root.
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate


_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def without_metadata(data: bytes) -> bytes:
    """The image re-encoded as JPEG with no EXIF, XMP or comments, turned upright."""
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image).convert("RGBA")
    # JPEG has no transparency: transparent parts of a poster become white, not black.
    flat = Image.new("RGB", upright.size, (255, 255, 255))
    flat.paste(upright, mask=upright.getchannel("A"))
    upright = flat
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=88)
    return out.getvalue()
