"""`GET /metrics`: Loa's figures in Prometheus' text format (bot/core/metrics.py).

Who may read it: with METRICS_TOKEN set, whoever presents it as `Authorization: Bearer …`
(a Prometheus elsewhere, a container network); without it, only a client on the same host
talking to Loa directly — a loopback peer whose request carries no proxy header, so the
reverse proxy in front of the webhooks can never hand it out. Everyone else gets 404, as
for any path Loa does not serve. The figures say how busy Loa is, never who is talking.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from datetime import datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select

from bot.core import metrics
from bot.core.clock import Clock
from bot.core.config import Settings
from db.models import OutboxMessage, OutboxState, Report, ReportStatus, Ticket, TicketStatus
from db.session import Database

log = logging.getLogger(__name__)

# A scrape must not hang on a database that does not answer: the counters are served anyway.
QUERY_TIMEOUT = 5.0
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


class MetricsPage:
    """The handler of `GET /metrics`, with what it reads the gauges from."""

    def __init__(self, db: Database, settings: Settings | None, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    async def handle(self, request: web.Request) -> web.Response:
        """The figures, or 404 for a client not allowed to read them."""
        if not self.allowed(request):
            raise web.HTTPNotFound()
        try:
            async with asyncio.timeout(QUERY_TIMEOUT):
                await self.refresh(self.clock.now())
        except Exception as exc:  # the counters still tell something; the gauges keep their last
            log.warning("metrics: database figures unavailable: %s", type(exc).__name__)
        body = generate_latest(metrics.REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def allowed(self, request: web.Request) -> bool:
        """A valid bearer token when METRICS_TOKEN is set, else a direct loopback client."""
        secret = self.settings.metrics_token if self.settings is not None else None
        if secret is not None:
            given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            return hmac.compare_digest(given.encode(), secret.get_secret_value().encode())
        if any(header in request.headers for header in PROXY_HEADERS):
            return False
        try:
            return ipaddress.ip_address(request.remote or "").is_loopback
        except ValueError:
            return False

    async def refresh(self, now: datetime) -> None:
        """Set the gauges only the database knows."""
        waiting = (OutboxState.pending.value, OutboxState.sending.value)
        async with self.db.session() as session:
            depth = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state.in_(waiting), OutboxMessage.due_at <= now)
            )
            oldest = await session.scalar(
                select(func.min(OutboxMessage.due_at)).where(
                    OutboxMessage.state == OutboxState.pending.value, OutboxMessage.due_at <= now
                )
            )
            tickets = await session.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.status == TicketStatus.open.value)
            )
            reviews = await session.scalar(
                select(func.count())
                .select_from(Report)
                .where(Report.status == ReportStatus.submitted.value)
            )
        metrics.OUTBOX_DEPTH.set(depth or 0)
        metrics.OUTBOX_OLDEST_SECONDS.set(
            max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        )
        metrics.OPEN_TICKETS.set(tickets or 0)
        metrics.PENDING_REVIEWS.set(reviews or 0)
