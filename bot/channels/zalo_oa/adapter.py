"""The Zalo Official Account channel: webhook only, stored before it is acknowledged.

A delivery's way: raw bytes → signature (constant time, on the bytes as received) → stored in
`webhook_deliveries` under its key (a duplicate is not stored again) → 200 → handled in the
user's lane → marked handled. Zalo does not redeliver after a 200, so the stored row is the
only copy: a crash between the 200 and the end of the handling leaves it unhandled, and the
next start (or any worker's sweep every ZALO_OA_REDELIVERY_SECONDS) handles it; the engine's
own record of handled updates keeps it from being answered twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from aiohttp import web

from bot.channels.base import CallError, ChannelError, LeftForRedelivery, RetryPolicy
from bot.channels.files import PublicFiles
from bot.channels.zalo import ZaloCDN, ZaloTransportError
from bot.channels.zalo_oa.api import OAClient, OAError
from bot.channels.zalo_oa.sender import CHANNEL, OASender
from bot.channels.zalo_oa.tokens import OAuthClient, TokenManager
from bot.channels.zalo_oa.webhook import (
    SIGNATURE_HEADER,
    Event,
    delivery_key,
    parse,
    signed_over,
)
from bot.core.chat import Incoming, Kind, Location, MediaRef, Reply
from bot.core.config import Settings
from bot.core.i18n import _
from bot.delivery.outbox import Lane, RateLimiter, Rendering, queue_rendered
from bot.engine import Engine
from db.models import Role
from db.repositories import Repos
from db.session import Database

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = 120.0
USER_DETAIL = "v3.0/oa/user/detail"
KIND_OF = {"image": Kind.photo, "gif": Kind.photo, "audio": Kind.voice, "file": Kind.document}


def _now() -> datetime:
    return datetime.now(UTC)


class ZaloOAChannel(ZaloCDN):
    """A commune's Official Account: OAuth tokens in the database, a signed webhook."""

    name = CHANNEL
    route = "zalo-oa"  # POST /webhook/zalo-oa

    def __init__(
        self, settings: Settings, engine: Engine, db: Database, files: PublicFiles
    ) -> None:
        self.db = db
        self.engine = engine
        self.app_id = settings.zalo_oa_app_id or ""
        key = settings.zalo_oa_secret_key
        self.key = key.get_secret_value() if key is not None else ""
        self.tokens = TokenManager(db, settings, OAuthClient(settings), self._alert)
        self.client = OAClient(
            settings.zalo_oa_api_base,
            settings.api_timeout_seconds,
            self.tokens.access,
            self.tokens.refresh,
        )
        self.policy = RetryPolicy.of(settings)
        sender = OASender(
            self.client,
            self.policy,
            files,
            db,
            settings,
            engine.services.clock.now,
            RateLimiter(settings.zalo_oa_rate_per_second, 0.0),
        )
        super().__init__(settings, engine, db, sender, None)
        self.lease = timedelta(seconds=settings.zalo_oa_delivery_lease_seconds)
        self._sweeper: asyncio.Task[None] | None = None
        self._handling = asyncio.Semaphore(settings.zalo_oa_handling_concurrency)

    # --- lifecycle

    async def start(self, *, webhook: bool) -> None:
        """Seed the token pair if the database has none; handle what a previous run left."""
        if not webhook:
            raise ChannelError("the Zalo OA takes webhooks only: set WEBHOOK_LISTEN")
        self.open_downloads()
        if not await self.tokens.seed():
            log.error(
                "zalo_oa: no token pair: run `loa zalo-oa authorize` (until then webhooks "
                "are taken, but no answer can be sent)"
            )
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def register_webhook(self) -> None:
        """Nothing to call: the webhook URL is entered in the app's console by a person."""
        log.info("zalo_oa: webhook at /webhook/%s (set it in the Zalo app's console)", self.route)

    async def poll(self) -> None:
        """The OA has no polling."""
        raise ChannelError("the Zalo OA takes webhooks only: set WEBHOOK_LISTEN")

    async def stop(self, grace: float) -> bool:
        """Stop sweeping, let running deliveries finish, close the sessions."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        drained = await self.close_inbox(grace)
        await self.client.close()
        return drained

    # --- the webhook

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /webhook/zalo-oa: verify, store, answer 200, handle afterwards."""
        raw = await request.read()
        if not raw.strip():
            return web.json_response({"error": 0})  # a reachability check changes nothing
        try:
            body = json.loads(raw)
        except ValueError:
            log.warning("zalo_oa webhook: body is not JSON")
            return web.json_response({"error": -1, "message": "bad request"}, status=400)
        signed = ""
        if isinstance(body, dict):
            signed = signed_over(
                request.headers.get(SIGNATURE_HEADER),
                raw,
                body,
                app_id=self.app_id,
                key=self.key,
                oa_id_too=self.settings.zalo_oa_signature_oa_id,
            )
        if not signed:
            log.warning("zalo_oa webhook: wrong or missing signature from %s", request.remote)
            return web.json_response({"error": -1, "message": "unauthorized"}, status=401)
        if signed == "oa_id":
            log.info("zalo_oa webhook: a delivery signed over the OA id (ZALO_OA_SIGNATURE_OA_ID)")
        key = delivery_key(body, raw)
        async with self.db.session() as session:
            delivery_id = await Repos.of(session).deliveries.store(
                CHANNEL, key, raw.decode("utf-8", "replace"), now=_now()
            )
        if delivery_id is None:
            log.info("zalo_oa: delivery %s already stored", key)
        elif not self.inbox.closed:
            self.dispatch(delivery_id, body)
        # Stored (or known): nothing is lost whatever happens after this answer.
        return web.json_response({"error": 0})

    def dispatch(self, delivery_id: int, body: Any) -> asyncio.Task[bool] | None:
        """Queue the handling of a stored delivery in its user's lane."""
        event = parse(body)
        lane = event.user_id if event is not None and event.user_id else f"delivery:{delivery_id}"
        return self.inbox.submit(lane, partial(self._handle_delivery, delivery_id))

    async def sweep(self) -> int:
        """Queue every stored delivery not handled yet (after a crash, or a failure)."""
        async with self.db.session() as session:
            repos = Repos.of(session)
            ids = await repos.deliveries.unhandled(CHANNEL, now=_now())
            bodies = {i: found.body for i in ids if (found := await repos.deliveries.get(i))}
        for delivery_id, raw in bodies.items():
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            self.dispatch(delivery_id, body)
        return len(bodies)

    async def _sweep_forever(self) -> None:
        interval = self.settings.zalo_oa_redelivery_seconds
        keep = timedelta(days=self.settings.processed_updates_keep_days)
        while True:
            try:
                found = await self.sweep()
                if found:
                    log.info("zalo_oa: %d stored deliveries queued", found)
                async with self.db.session() as session:
                    await Repos.of(session).deliveries.forget_before(CHANNEL, _now() - keep)
            except Exception:
                log.exception("zalo_oa: sweeping stored deliveries failed")
            await asyncio.sleep(interval)

    async def _handle_delivery(self, delivery_id: int) -> None:
        # A few at a time: handling shares the event loop (and SQLite's one writer) with the
        # webhook, which must store and answer within 2 s even during a burst.
        async with self._handling:
            await self._handle_stored(delivery_id)

    async def _handle_stored(self, delivery_id: int) -> None:
        now = _now()
        async with self.db.session() as session:
            repos = Repos.of(session)
            if not await repos.deliveries.claim(delivery_id, now=now, until=now + self.lease):
                return  # handled already, or another worker has it
            found = await repos.deliveries.get(delivery_id)
            raw = found.body if found is not None else ""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        event = parse(body)
        try:
            if event is not None:
                await self._handle(event)
        except LeftForRedelivery:
            await self._release(delivery_id)
            raise
        except asyncio.CancelledError:
            # Stopping: the next start takes it at once (a crash leaves it to the lease).
            with contextlib.suppress(Exception):
                await asyncio.shield(self._release(delivery_id))
            raise
        async with self.db.session() as session:
            await Repos.of(session).deliveries.done(delivery_id, now=_now())

    async def _release(self, delivery_id: int) -> None:
        async with self.db.session() as session:
            await Repos.of(session).deliveries.release(delivery_id)

    # --- events

    async def _handle(self, event: Event) -> None:
        if event.ignored:
            log.debug("zalo_oa: event %s ignored", event.name)
            return
        if event.name == "unfollow":
            await self.inbox.mark_unreachable(event.user_id)
            return
        if event.name != "follow" and not event.is_message:
            log.debug("zalo_oa: event %s ignored", event.name)
            return
        await self._touch(event.user_id)
        if event.name == "follow":
            # Following is an interaction; the welcome is what /start shows.
            incoming = Incoming.from_text(CHANNEL, event.user_id, event.key, "/start")
        else:
            if await self.inbox.seen(event.key):
                log.info("zalo_oa: message %s already handled", event.key)
                return
            incoming = await self._incoming(event)
        name = await self._name_of_new(event.user_id)
        if name:
            incoming = dataclasses.replace(incoming, display_name=name)
        await self.inbox.process(event.user_id, incoming)

    async def _name_of_new(self, user_id: str) -> str:
        """The display name of a user Loa does not know yet (webhooks carry none), from
        `v3.0/oa/user/detail`; "" when they are known, or the lookup fails."""
        async with self.db.session() as session:
            if await Repos.of(session).users.find(CHANNEL, user_id) is not None:
                return ""
        try:
            detail = await self.client.call(USER_DETAIL, query={"user_id": user_id})
        except (OAError, ZaloTransportError, CallError) as failure:
            log.info("zalo_oa: no profile for a new user (%s)", failure)
            return ""
        name = detail.get("display_name")
        return name.strip()[:128] if isinstance(name, str) else ""

    async def _touch(self, user_id: str) -> None:
        """Note the interaction that opens (or renews) the user's reply window."""
        async with self.db.session() as session:
            await Repos.of(session).windows.touch(
                CHANNEL, user_id, self.engine.services.clock.now()
            )

    async def _incoming(self, event: Event) -> Incoming:
        user, update_id = event.user_id, event.key
        kind = event.kind
        if kind == "text":
            return Incoming.from_text(CHANNEL, user, update_id, event.text)
        if kind == "location" and event.location is not None:
            latitude, longitude = event.location
            return Incoming(
                CHANNEL, user, update_id, Kind.location, location=Location(latitude, longitude)
            )
        if kind == "sticker":
            ref = MediaRef(event.attachments[0].url if event.attachments else "")
            return Incoming(CHANNEL, user, update_id, Kind.sticker, media=(ref,))
        wanted = KIND_OF.get(kind)
        if wanted is not None and event.attachments and event.attachments[0].url:
            item = event.attachments[0]
            limit = (
                self.settings.max_photo_bytes
                if wanted is Kind.photo
                else self.settings.max_document_bytes
            )
            mime = "audio/aac" if wanted is Kind.voice else None
            ref = await self._download(
                item.url, limit, mime, want=wanted, user_id=user, name=item.name or None
            )
            caption = event.text.strip()
            return Incoming(CHANNEL, user, update_id, wanted, text=caption, media=(ref,))
        # Video, links, business cards, and kinds not known yet.
        return Incoming(CHANNEL, user, update_id, Kind.unsupported, text=event.text.strip())

    # --- the operator's alert

    async def _alert(self, reason: str, version: int) -> None:
        """Tell the admins (on their other channels) that the OA needs authorising again."""
        services = self.engine.services
        now = services.clock.now()
        rendering = Rendering(services.catalogs, self.settings.default_language)
        async with self.db.session() as session:
            repos = Repos.of(session)
            admins = [
                user
                for user in await repos.users.staff(limit=500)
                if user.role == Role.admin.value and user.channel != CHANNEL
            ]
            for admin in admins:
                await queue_rendered(
                    repos,
                    rendering,
                    admin,
                    lambda: Reply(
                        _(
                            "⚠️ The Zalo Official Account cannot send messages: Zalo refused "
                            "its refresh token. Run `loa zalo-oa authorize` on the server to "
                            "authorise Loa again. Until then, people writing to the OA get no "
                            "answer."
                        )
                    ),
                    key=f"oa-token:{self.app_id}:{version}",
                    kind="alert",
                    now=now,
                    lane=Lane.interactive,
                )
        if admins:
            services.queued.fire()
