"""Files across the channel boundary: the inbound spool and signed public links for outbound media.

Inbound: adapters download what users send at once (Zalo's CDN links expire; Telegram's are
valid for an hour) into `<MEDIA_DIR>/incoming/` under unguessable names, with a byte cap
enforced before and while reading, and hand the engine a `MediaRef`. The spool is a hand-over
area: the handler copies what it keeps, the adapter deletes the file after the event.

Outbound: Zalo cannot upload files, it fetches them by URL. `PublicFiles` gives a file under
MEDIA_DIR a URL `<PUBLIC_BASE_URL>/media/<token>/<path>` whose token is an HMAC of the path, so
only files Loa chose to publish can be fetched (bot/web.py checks the token). A link may also
carry `?expires=<unix time>`, covered by the token: documents (exports) are sent that way.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import mimetypes
import os
import secrets
import shutil
import time
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

import aiohttp

from bot.core.chat import MediaRef
from bot.core.logging import redact

log = logging.getLogger(__name__)

TOO_LARGE = "too_large"
DOWNLOAD_FAILED = "download_failed"
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
                url, timeout=aiohttp.ClientTimeout(total=time_limit), allow_redirects=True
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
            return MediaRef(ref, mime=mime, file_name=file_name, problem=DOWNLOAD_FAILED)
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
    """Signed URLs for files under MEDIA_DIR; files elsewhere are copied in first."""

    def __init__(self, media_dir: Path, secret: str, base_url: str | None) -> None:
        self.root = media_dir.resolve()
        self._key = hashlib.sha256(b"loa-media:" + secret.encode()).digest()
        self.base_url = base_url.rstrip("/") if base_url else None
        self._published: dict[tuple[str, int, int], str] = {}

    def token(self, relative: str, expires: int | None = None) -> str:
        """The token that unlocks `relative` (a path under MEDIA_DIR, with "/" separators),
        until the Unix time `expires` when one is given."""
        message = relative if expires is None else f"{relative}\n{expires}"
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()[:32]

    def url_for(self, path: Path, *, valid_for: float | None = None) -> str | None:
        """A public URL for `path` (working for `valid_for` seconds when given), or None when
        no PUBLIC_BASE_URL is configured."""
        if self.base_url is None:
            return None
        relative = self.publish(path)
        if valid_for is None:
            return f"{self.base_url}/media/{self.token(relative)}/{quote(relative)}"
        expires = int(time.time() + valid_for)
        token = self.token(relative, expires)
        return f"{self.base_url}/media/{token}/{quote(relative)}?expires={expires}"

    def publish(self, path: Path) -> str:
        """The path of `path` relative to MEDIA_DIR, copying it under `public/` if outside."""
        source = path.resolve()
        if source.is_relative_to(self.root):
            return source.relative_to(self.root).as_posix()
        stat = source.stat()
        key = (str(source), stat.st_mtime_ns, stat.st_size)
        known = self._published.get(key)
        if known is not None and (self.root / known).is_file():
            return known
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        relative = f"public/{digest}{source.suffix.lower()}"
        target = self.root / relative
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
        self._published[key] = relative
        return relative

    def resolve(self, token: str, relative: str, expires: str | None = None) -> Path | None:
        """The file a media URL points to, or None unless the token matches, the link has not
        expired, and it is a file."""
        deadline = None
        if expires is not None:
            if not expires.isdigit() or int(expires) < time.time():
                return None
            deadline = int(expires)
        if not hmac.compare_digest(token.encode(), self.token(relative, deadline).encode()):
            return None
        candidate = (self.root / relative).resolve()
        # The token covers the exact string, but a signed path must still stay inside the root.
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate
