"""Running the real Loa runtime against the fakes: settings, a running runtime, captured events."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.app import Loa
from bot.core.chat import Incoming, Kind, Reply
from bot.core.config import ROOT, Settings
from bot.engine import Outcome
from bot.runtime import Runtime
from db.models import User
from db.repositories import Repos
from tests.helpers import isolated_settings

FAST: dict[str, Any] = {
    "polling_timeout_seconds": 1,
    "api_timeout_seconds": 5.0,
    "send_retry_base_seconds": 0.01,
    "send_max_wait_seconds": 5.0,
    "album_debounce_seconds": 0.3,
    "shutdown_grace_seconds": 5.0,
    "telegram_rate_per_second": 0.0,
    "zalo_rate_per_second": 0.0,
    # Webhook mode refuses to start without a real server-side key for invite codes.
    "invite_pepper": "test-pepper-0123456789-abcdefghijklmnop",
    # The fakes serve users' files over http on 127.0.0.1 (a loopback host may use http).
    "zalo_media_hosts": ("127.0.0.1",),
}


def channel_settings(base: Settings, **overrides: Any) -> Settings:
    """Settings for a channel test: the test's database and media, quick timings."""
    # On the map of the test's own Loa.
    return isolated_settings(
        base.database_url, base.media_dir, **({"org_file": base.org_file} | FAST | overrides)
    )


def both_fakes(base: Settings, tg: Any, zl: Any, **overrides: Any) -> Settings:
    """`channel_settings` with Telegram and Zalo both on their fake servers (`tg`, `zl`)."""
    from tests.fakes import telegram, zalo

    return channel_settings(
        base,
        telegram_token=telegram.TOKEN,
        telegram_api_base=tg.url,
        zalo_token=zalo.TOKEN,
        zalo_api_base=zl.url,
        **overrides,
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for a webhook URL known before start)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def running(settings: Settings, loa: Loa | None = None) -> AsyncIterator[Runtime]:
    """A started runtime, stopped (gracefully) at the end of the block."""
    runtime = Runtime(settings, loa=loa)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


LOA = Path(sys.executable).parent / "loa"


def loa_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `loa run` on the test database (no channel of the developer's)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "ZALO_", "WEBHOOK_", "PUBLIC_"))
        and k not in {"DATABASE_URL", "ORG_FILE"}
    }
    env.update(
        DATABASE_URL=settings.database_url,
        ORG_FILE=str(settings.org_file),
        MEDIA_DIR=str(settings.media_dir),
        POLLING_TIMEOUT_SECONDS="1",
        LOG_LEVEL="INFO",
        INVITE_PEPPER=FAST["invite_pepper"],  # webhook mode refuses to start without one
        **extra,
    )
    return env


@asynccontextmanager
async def loa_run(settings: Settings, **env: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """`loa run` in a subprocess with `env` added; killed at the end if still running."""
    process = await asyncio.create_subprocess_exec(
        str(LOA), "run", env=loa_env(settings, **env), cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def terminate(process: asyncio.subprocess.Process) -> str:
    """Stop `loa run` as a service manager does (SIGTERM); what it logged."""
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    return stderr.decode()


def adapter(runtime: Runtime) -> Any:
    """The one channel adapter `runtime` runs."""
    (only,) = runtime.channels
    return only


@dataclass
class Seen:
    """What the engine received: events, and the bytes of their spooled files at that moment."""

    events: list[Incoming] = field(default_factory=list)
    files: list[list[bytes | None]] = field(default_factory=list)
    answers: list[list[Reply]] = field(default_factory=list)


def capture(loa: Loa, monkeypatch: pytest.MonkeyPatch, *, files: bool = True) -> Seen:
    """Record every event the channels hand to the engine (the engine still answers).

    With `files`, every user's step is taken to accept every kind of file, so the channels
    download them: these tests are about downloading; who may send files is tested apart.
    """
    seen = Seen()
    original = loa.engine.handle_event

    async def handle(event: Incoming) -> Outcome:
        seen.events.append(event)
        seen.files.append(_contents(event))
        outcome = await original(event)
        seen.answers.append(outcome.replies)
        return outcome

    async def every_file(channel: str, user_id: str) -> frozenset[Kind]:
        return frozenset(Kind)

    monkeypatch.setattr(loa.engine, "handle_event", handle)
    if files:
        monkeypatch.setattr(loa.engine, "files_taken", every_file)
    return seen


def _contents(event: Incoming) -> list[bytes | None]:
    return [Path(m.path).read_bytes() if m.path else None for m in event.media]


def spooled(settings: Settings, path: str | None) -> bool:
    """Whether `path` was a file in the inbound spool (`<MEDIA_DIR>/incoming/`)."""
    return path is not None and Path(path).parent == (settings.media_dir / "incoming").resolve()


def gone(path: str | None) -> bool:
    """Whether the file at `path` no longer exists."""
    return path is not None and not Path(path).exists()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Wait until the async `check` holds (for state only the database shows)."""
    for _ in range(int(within / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


def jpeg(width: int = 64, height: int = 48, colour: str = "green") -> bytes:
    """A real, small JPEG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return out.getvalue()


async def stored_user(loa: Loa, channel: str, external_id: str) -> User | None:
    """The user row for an id on a channel."""
    async with loa.db.session() as session:
        return await Repos.of(session).users.find(channel, external_id)


def vi(loa: Loa, msgid: str) -> str:
    """The Vietnamese text of a UI string (what a user who has not chosen a language reads)."""
    return loa.services.catalogs.translate(msgid, "vi")


# A villager's question typed without accents (most phones here have no Vietnamese keyboard).
QUESTION = "nha toi duoc ho tro bao nhieu tien lam nha"

APOLOGY = (
    "Sorry, something went wrong on our side. Please try again in a moment, or send /cancel "
    "to start over."
)
