"""`loa run` with chat platforms: every configured channel and the scheduler in one process.

Polling by default; with WEBHOOK_LISTEN one web server takes both platforms' webhooks (and
registers them when *_WEBHOOK_URL is set, once it listens: Zalo checks the URL at once). That
server also carries the officers' web desk and signed links; in polling mode WEB_LISTEN starts
it without webhooks. On
SIGTERM or SIGINT Loa stops taking updates, lets the ones in progress finish (within
SHUTDOWN_GRACE_SECONDS), and closes its sessions and the database. Every transaction is one
event, so an update cut off at the deadline leaves nothing half-written and is delivered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import re
import signal
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from bot.app import Loa
from bot.channels.base import ChannelError, Sender
from bot.channels.files import PublicFiles
from bot.core.config import Settings
from bot.scheduler import Scheduler, start_scheduler
from bot.web.server import WebServer, parse_listen

log = logging.getLogger(__name__)

_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TELEGRAM_TOKEN = re.compile(r"^\d+:\S+$")
POLL_RESTART_PAUSE = 5.0


class ConfigError(Exception):
    """The configuration cannot run; the message lists what to fix."""


class Channel(Protocol):
    """What the runtime needs from a channel adapter."""

    name: str
    sender: Any

    async def start(self, *, webhook: bool) -> None:
        """Check credentials and prepare."""
        ...

    async def register_webhook(self) -> None:
        """Register the webhook URL with the platform, if one is configured."""
        ...

    async def poll(self) -> None:
        """Receive updates by long polling until cancelled."""
        ...

    async def stop(self, grace: float) -> bool:
        """Finish work in progress and close."""
        ...

    async def webhook(self, request: web.Request) -> web.Response:
        """Handle one webhook request."""
        ...


SECRET_MIN = 32


def check_config(settings: Settings) -> list[str]:
    """What is wrong with the channel settings (empty when Loa can start)."""
    problems: list[str] = []
    configured = settings.channels_configured
    listen = settings.webhook_listen
    for address in (listen, settings.web_listen):
        if address:
            try:
                parse_listen(address)
            except ValueError as exc:
                problems.append(str(exc))
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    if "telegram" in configured and not _TELEGRAM_TOKEN.match(token):
        problems.append("TELEGRAM_TOKEN must look like 123456:ABC… (as BotFather gives it)")
    # Each platform's webhook secret: its variable, its value, and the platform's own rule on
    # top of Loa's (at least SECRET_MIN characters: a guessable secret lets anyone post updates).
    secrets: tuple[tuple[str, str, str, Callable[[str], bool], str], ...] = (
        (
            "telegram",
            "TELEGRAM_WEBHOOK_SECRET",
            _secret(settings.telegram_webhook_secret),
            lambda secret: bool(_TELEGRAM_SECRET.match(secret)),
            "may only hold A-Z a-z 0-9 _ - (Telegram's rule)",
        ),
        (
            "zalo",
            "ZALO_WEBHOOK_SECRET",
            _secret(settings.zalo_webhook_secret),
            lambda secret: len(secret) <= 256,
            "must be at most 256 characters long (Zalo's rule)",
        ),
    )
    webhook_channels = [name for name, *_rest in secrets if name in configured and listen]
    for channel, name, secret, fits, broken in secrets:
        if channel not in webhook_channels:
            continue
        if not secret:
            problems.append(
                f"webhook mode needs {name} ({SECRET_MIN}-256 characters): without it anyone "
                "could post fake updates"
            )
        elif len(secret) < SECRET_MIN:
            problems.append(f"{name} must be at least {SECRET_MIN} characters long")
        elif not fits(secret):
            problems.append(f"{name} {broken}")
    if webhook_channels and len(_secret(settings.invite_pepper)) < SECRET_MIN:
        # Without a server-side key a leaked database gives every unused invite code away.
        problems.append(
            f"webhook mode needs INVITE_PEPPER of at least {SECRET_MIN} characters "
            "(a long random value; changing it later voids unused invite codes)"
        )
    if "zalo_oa" in configured and not listen:
        problems.append(
            "the Zalo OA (ZALO_OA_APP_ID…) takes webhooks only: set WEBHOOK_LISTEN, and enter "
            "https://<your domain>/webhook/zalo-oa in the Zalo app's console"
        )
    pepper_short = len(_secret(settings.invite_pepper)) < SECRET_MIN
    if "zalo_oa" in configured and listen and pepper_short and not webhook_channels:
        problems.append(
            f"webhook mode needs INVITE_PEPPER of at least {SECRET_MIN} characters "
            "(a long random value; changing it later voids unused invite codes)"
        )
    for name, url in (
        ("TELEGRAM_WEBHOOK_URL", settings.telegram_webhook_url),
        ("ZALO_WEBHOOK_URL", settings.zalo_webhook_url),
    ):
        if url and not listen:
            problems.append(f"{name} is set but WEBHOOK_LISTEN is not: nothing would receive it")
    return problems


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


def load_channel_modules(settings: Settings) -> None:
    """Import the configured channels' adapters before the event loop runs.

    aiogram takes seconds to import; inside the loop that would hold off a stop signal, and
    Zalo-only runs need none of it.
    """
    configured = settings.channels_configured
    if "telegram" in configured:
        importlib.import_module("bot.channels.telegram")
    if "zalo" in configured:
        importlib.import_module("bot.channels.zalo")
    if "zalo_oa" in configured:
        importlib.import_module("bot.channels.zalo_oa.adapter")


class Runtime:
    """The running channels, web server and scheduler around one Loa."""

    def __init__(self, settings: Settings, loa: Loa | None = None) -> None:
        self.settings = settings
        self.loa = loa
        self._owns_loa = loa is None
        self.scheduler: Scheduler | None = None
        self.channels: list[Channel] = []
        self.web: WebServer | None = None
        self._polls: list[asyncio.Task[None]] = []
        self._stopped = False

    @property
    def webhook_mode(self) -> bool:
        """Whether updates arrive by webhook (else by polling)."""
        return bool(self.settings.webhook_listen)

    @property
    def senders(self) -> dict[str, Sender]:
        """Each running channel's sender, by channel name (for the outbox)."""
        return {channel.name: channel.sender for channel in self.channels}

    async def start(self) -> None:
        """Start Loa, the channels, the web server or polling loops, then the scheduler."""
        problems = check_config(self.settings)
        if problems:
            raise ConfigError("\n".join(problems))
        if self.loa is None:
            self.loa = await Loa.start(self.settings)
        try:
            await self._start_channels()
            await self.start_scheduler()
        except BaseException:
            await self.stop()
            raise

    async def _start_channels(self) -> None:
        assert self.loa is not None
        settings = self.settings
        configured = settings.channels_configured
        if settings.public_base_url and not settings.web_address:
            log.warning(
                "PUBLIC_BASE_URL is set but neither WEBHOOK_LISTEN nor WEB_LISTEN is: nothing "
                "serves /media, so Zalo users get text only"
            )
        public = settings.public_base_url if settings.web_address else None
        files = PublicFiles(
            settings.media_dir,
            settings.media_url_secret.get_secret_value(),
            public,
            valid_for=settings.media_link_hours * 3600,
        )
        engine, db = self.loa.engine, self.loa.db
        if "telegram" in configured:
            # Imported here (at once when `load_channel_modules` ran): Zalo-only runs need none.
            from bot.channels.telegram import TelegramChannel

            self.channels.append(TelegramChannel(settings, engine, db, self.loa.services.catalogs))
        if "zalo" in configured:
            from bot.channels.zalo import ZaloChannel

            self.channels.append(ZaloChannel(settings, engine, db, files))
        if "zalo_oa" in configured:
            from bot.channels.zalo_oa.adapter import ZaloOAChannel

            self.channels.append(ZaloOAChannel(settings, engine, db, files))
        for channel in self.channels:
            await channel.start(webhook=self.webhook_mode)
        if settings.web_address:
            self.web = WebServer(
                settings.web_address,
                db,
                {channel.name: channel for channel in self.channels} if self.webhook_mode else {},
                files,
                shutdown_grace=settings.shutdown_grace_seconds,
                settings=settings,
                clock=self.loa.services.clock,
                loa=self.loa,
                running=[channel.name for channel in self.channels],
            )
            await self.web.start()
        if self.webhook_mode:
            for channel in self.channels:
                await channel.register_webhook()
        else:
            for channel in self.channels:
                task = asyncio.create_task(self._keep_polling(channel.name, channel.poll))
                self._polls.append(task)

    async def _keep_polling(self, name: str, poll: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await poll()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: polling stopped by an error; restarting", name)
                await asyncio.sleep(POLL_RESTART_PAUSE)

    async def start_scheduler(self) -> None:
        """Start the scheduler (issue 5: planner and outbox flusher, using `self.senders`).

        Senders already apply each platform's global rate; give the outbox limiters for the
        per-chat spacing only, so messages are not counted twice.
        """
        assert self.loa is not None
        self.scheduler = await start_scheduler(self.loa, self.senders)

    async def stop_scheduler(self) -> None:
        """Stop the scheduler started by `start_scheduler`."""
        if self.scheduler is not None:
            await self.scheduler.stop(self.settings.shutdown_grace_seconds)
            self.scheduler = None

    async def stop(self) -> None:
        """Stop taking updates, finish the ones in progress, close everything."""
        if self._stopped:
            return
        self._stopped = True
        await self.stop_scheduler()
        for task in self._polls:
            task.cancel()
        if self._polls:
            await asyncio.gather(*self._polls, return_exceptions=True)
        if self.web is not None:
            await self.web.stop()
        for channel in self.channels:
            try:
                await channel.stop(self.settings.shutdown_grace_seconds)
            except Exception:
                log.exception("%s: error while stopping", channel.name)
        if self._owns_loa and self.loa is not None:
            await self.loa.close()


async def serve(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT; the process exit code."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runtime = Runtime(settings)
    # Starting can take long when a platform does not answer (each call is retried with
    # backoff): a signal then ends the start instead of waiting for it.
    starting = asyncio.create_task(runtime.start())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait((starting, stopping), return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        log.info("stopping before the start finished")
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        await runtime.stop()
        log.info("stopped")
        return 0
    stopping.cancel()
    try:
        starting.result()
    except ConfigError as exc:
        for line in str(exc).splitlines():
            log.error("configuration: %s", line)
        return 2
    except ChannelError as exc:
        log.error("%s", exc)
        return 1
    web = f"{runtime.web.host}:{runtime.web.port}" if runtime.web else ""
    mode = f"webhooks on {web}" if runtime.webhook_mode else "polling"
    if web and not runtime.webhook_mode:
        mode += f", web desk on {web}"
    log.info("Loa running: %s (%s)", ", ".join(c.name for c in runtime.channels), mode)
    await stop.wait()
    log.info("stopping: finishing updates in progress")
    await runtime.stop()
    log.info("stopped")
    return 0
