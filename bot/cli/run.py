"""`loa run`: the configured channels, or the console when none is configured."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from signal import SIGINT, SIGTERM
from types import FrameType
from typing import TYPE_CHECKING

import typer

from bot.cli.common import load_settings
from bot.core.config import Settings

if TYPE_CHECKING:
    from bot.app import Loa
    from bot.web.server import WebServer


def run() -> None:
    """Run Loa: the configured channels, or the console when none is configured."""
    settings = load_settings(running=True)
    if not settings.channels_configured:
        asyncio.run(_run_console(settings))
        return
    with _exit_on_signal():
        from bot.runtime import check_config, load_channel_modules, serve

        load_channel_modules(settings)
    problems = check_config(settings)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(2)
    code = asyncio.run(serve(settings))
    if code:
        raise typer.Exit(code)


@contextmanager
def _exit_on_signal() -> Iterator[None]:
    """Make SIGTERM and SIGINT end the process quietly while Loa's modules load.

    Loading takes seconds (aiogram alone) before the event loop runs and installs its own
    handlers; nothing is open yet, so stopping there is clean.
    """

    def leave(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    previous = {signum: signal.signal(signum, leave) for signum in (SIGTERM, SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


async def _run_console(settings: Settings) -> None:
    from bot.app import Loa
    from bot.channels.console import CHANNEL, ConsoleChannel, ConsoleSender
    from bot.delivery.outbox import OutboxWorker
    from bot.scheduler import Scheduler

    loa = await Loa.start(settings)
    worker = OutboxWorker(
        loa.db, {CHANNEL: ConsoleSender(sys.stdout)}, settings, loa.services.clock
    )
    # Reminders are planned in the background and show after the next line typed.
    scheduler = Scheduler(loa, worker, run_worker=False)
    await scheduler.start()
    web = await _console_web(loa, CHANNEL)
    try:
        await ConsoleChannel(loa.engine.handle, sys.stdout, after=worker.flush).run(sys.stdin)
    finally:
        if web is not None:
            await web.stop()
        await scheduler.stop()
        await loa.close()


async def _console_web(loa: Loa, channel: str) -> WebServer | None:
    """With WEB_LISTEN, the web server (the desk: /desk in the console gives its link)."""
    from bot.channels.files import PublicFiles
    from bot.web.server import WebServer

    settings = loa.settings
    if not settings.web_listen:
        return None
    files = PublicFiles(settings.media_dir, settings.media_url_secret.get_secret_value(), None)
    web = WebServer(
        settings.web_listen,
        loa.db,
        {},
        files,
        settings=settings,
        clock=loa.services.clock,
        loa=loa,
        running=[channel],
    )
    await web.start()
    return web
