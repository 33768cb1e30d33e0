"""Loa's own web server (webhook mode): both webhooks, a health check and signed media links.

Routes: `POST /webhook/telegram`, `POST /webhook/zalo`, `POST /webhook/zalo-oa` (each only when
that channel runs), `GET /zalo-oa/callback` (where the OA's consent page returns: it says to paste
its address into `loa zalo-oa authorize`), `GET /healthz` (JSON; 200 when the database answers
and a channel is configured, else 503), `GET /metrics` (Prometheus text; bot/web/metrics.py says
who may read it) and
`GET /media/{token}/{path}` (a file under MEDIA_DIR, only with an unexpired token signed for
that exact path, bot/core/signing.py; images as EXIF-free copies; no listing, no way out of the
directory), and
`GET /files/{expires}/{token}/{path}` (expiring links, bot/delivery/links.py: voice an officer's
channel cannot play, /mydata copies), and, given the running Loa, the officers' web desk under
`/desk/` (bot/web/desk/). In polling mode WEB_LISTEN starts the same server without webhooks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from aiohttp import web
from sqlalchemy import text

from bot.channels.files import PublicFiles
from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from bot.delivery.links import resolve_link
from bot.web.metrics import MetricsPage
from db.session import Database

if TYPE_CHECKING:
    from bot.app import Loa

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 5.0


class WebhookChannel(Protocol):
    """A channel that can receive its platform's webhook."""

    name: str

    async def webhook(self, request: web.Request) -> web.Response:
        """Handle one webhook request."""
        ...


def parse_listen(value: str) -> tuple[str, int]:
    """("host", port) from WEBHOOK_LISTEN "host:port" (IPv6 hosts in brackets)."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"WEBHOOK_LISTEN must be host:port, not {value!r}")
    host = host.strip("[]") or "0.0.0.0"  # noqa: S104 (":8080" means every interface)
    return host, int(port)


class WebServer:
    """The aiohttp application and its listening socket."""

    def __init__(
        self,
        listen: str,
        db: Database,
        channels: Mapping[str, WebhookChannel],
        files: PublicFiles,
        *,
        shutdown_grace: float = 20.0,
        settings: Settings | None = None,
        clock: Clock | None = None,
        loa: Loa | None = None,
        running: Sequence[str] = (),
    ) -> None:
        self.host, self.port = parse_listen(listen)
        self.loa = loa
        # The channels Loa runs (for /healthz): in polling mode none of them is a webhook.
        self.running = tuple(running) or tuple(channels)
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = db
        self.channels = dict(channels)
        self.files = files
        self.shutdown_grace = shutdown_grace
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        """The routes, ready to serve."""
        app = web.Application()
        for name, channel in self.channels.items():
            # A channel may name its own path (the Zalo OA's is /webhook/zalo-oa).
            route = getattr(channel, "route", name)
            app.router.add_post(f"/webhook/{route}", _guarded(name, channel.webhook))
        if "zalo_oa" in self.channels:
            app.router.add_get("/zalo-oa/callback", oa_callback)
        app.router.add_get("/healthz", self.health)
        app.router.add_get("/metrics", MetricsPage(self.db, self.settings, self.clock).handle)
        app.router.add_get("/media/{token}/{path:.+}", self.media)
        app.router.add_get("/files/{expires}/{token}/{path:.+}", self.private)
        if self.loa is not None:
            from bot.web import desk  # Jinja2 and the desk's pages load only when served

            desk.setup(app, self.loa)
        return app

    async def start(self) -> None:
        """Listen on WEBHOOK_LISTEN (port 0 picks a free port, see `port`)."""
        # No access log: media URLs are capabilities and need not sit in log files.
        runner = web.AppRunner(
            self.application(), access_log=None, shutdown_timeout=self.shutdown_grace
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info("web server listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and let requests in progress finish."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def health(self, request: web.Request) -> web.Response:
        """GET /healthz: is the database reachable, which channels are configured."""
        database = await self._database_ok()
        healthy = database and bool(self.running)
        body = {
            "ok": healthy,
            "database": database,
            "channels": sorted(self.running),
        }
        return web.json_response(body, status=200 if healthy else 503)

    async def _database_ok(self) -> bool:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), self.db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means "not reachable"; the reason is logged
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            return False
        return True

    async def media(self, request: web.Request) -> web.StreamResponse:
        """GET /media/{token}/{path}: a published file, or 404 for anything else."""
        path = self.files.resolve(request.match_info["token"], request.match_info["path"])
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})

    async def private(self, request: web.Request) -> web.StreamResponse:
        """GET /files/{expires}/{token}/{path}: a file behind an unexpired link, else 404."""
        info = request.match_info
        path = None
        if self.settings is not None:
            now = self.clock.now().timestamp()
            path = resolve_link(self.settings, info["expires"], info["token"], info["path"], now)
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "private, no-store"})


OA_CALLBACK_PAGE = """<!doctype html><meta charset="utf-8"><title>Loa</title>
<p>Zalo đã cho phép Loa. Hãy sao chép <b>toàn bộ địa chỉ của trang này</b> (có mã
<code>code=…</code>) và dán vào lệnh <code>loa zalo-oa authorize</code> trong vòng 10 phút.</p>
<p>Zalo allowed Loa. Copy <b>this page's whole address</b> (it holds the <code>code=…</code>)
into <code>loa zalo-oa authorize</code> within 10 minutes.</p>
"""


async def oa_callback(request: web.Request) -> web.Response:
    """GET /zalo-oa/callback: where Zalo's consent page sends the OA admin back. The code stays
    in the address only (no access log, nothing stored): `loa zalo-oa authorize` takes it."""
    return web.Response(
        text=OA_CALLBACK_PAGE,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _guarded(
    name: str, handler: Callable[[web.Request], Awaitable[web.Response]]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def guarded(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            # The platform retries a 500; the update is recorded only if it was handled.
            log.exception("%s webhook failed", name)
            return web.Response(status=500, text="failed")

    return guarded
