"""What a channel adapter keeps in the database: OAuth tokens, stored webhook deliveries and
users' reply windows (the Zalo OA uses all three, bot/channels/zalo_oa/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update

from db.models import OAToken, ReplyWindow, WebhookDelivery
from db.repositories.base import Repository


class TokenRepository(Repository):
    """The OA's token pair, and the lease that lets one worker at a time refresh it."""

    async def get(self, app_id: str) -> OAToken | None:
        """The stored pair (fresh from the database, not from the session's cache)."""
        stmt = (
            select(OAToken)
            .where(OAToken.app_id == app_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def seed(
        self, app_id: str, access: str, refresh: str, *, expires_at: datetime, now: datetime
    ) -> bool:
        """Store a first pair unless one is stored already; True when this one was stored."""
        stmt = (
            self._insert()(OAToken)
            .values(
                app_id=app_id,
                access_token=access,
                refresh_token=refresh,
                expires_at=expires_at,
                version=1,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["app_id"])
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def replace(
        self, app_id: str, access: str, refresh: str, *, expires_at: datetime, now: datetime
    ) -> None:
        """Store a pair obtained by a new authorisation (it replaces whatever was there)."""
        found = await self.get(app_id)
        if found is None:
            await self.seed(app_id, access, refresh, expires_at=expires_at, now=now)
            return
        found.access_token, found.refresh_token = access, refresh
        found.expires_at, found.updated_at = expires_at, now
        found.version += 1
        found.refreshing_until = None
        found.refused_at = None

    async def lease(self, app_id: str, version: int, *, now: datetime, until: datetime) -> bool:
        """Take the refresh lease of pair `version` (compare-and-swap); False when another
        worker holds it or the pair has changed since."""
        stmt = (
            update(OAToken)
            .where(
                OAToken.app_id == app_id,
                OAToken.version == version,
                or_(OAToken.refreshing_until.is_(None), OAToken.refreshing_until < now),
            )
            .values(refreshing_until=until)
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def rotate(
        self,
        app_id: str,
        version: int,
        access: str,
        refresh: str,
        *,
        expires_at: datetime,
        now: datetime,
    ) -> bool:
        """Save the new pair of a refresh of `version` and release the lease."""
        stmt = (
            update(OAToken)
            .where(OAToken.app_id == app_id, OAToken.version == version)
            .values(
                access_token=access,
                refresh_token=refresh,
                expires_at=expires_at,
                version=version + 1,
                refreshing_until=None,
                refused_at=None,
                updated_at=now,
            )
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, app_id: str, version: int, *, refused_at: datetime | None) -> None:
        """Give the lease back after a failed refresh (noting a refused refresh token)."""
        values: dict[str, object] = {"refreshing_until": None}
        if refused_at is not None:
            values["refused_at"] = refused_at
        await self.session.execute(
            update(OAToken)
            .where(OAToken.app_id == app_id, OAToken.version == version)
            .values(**values)
        )


class DeliveryRepository(Repository):
    """Webhook bodies stored before they are acknowledged, handled afterwards."""

    async def store(self, channel: str, key: str, body: str, *, now: datetime) -> int | None:
        """Keep a delivery; its id, or None when one with this key was stored before."""
        stmt = (
            self._insert()(WebhookDelivery)
            .values(channel=channel, key=key, body=body, received_at=now, attempts=0)
            .on_conflict_do_nothing(index_elements=["channel", "key"])
            .returning(WebhookDelivery.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def claim(self, delivery_id: int, *, now: datetime, until: datetime) -> bool:
        """Take a delivery to handle it (unless handled, or claimed by a live worker)."""
        stmt = (
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.handled_at.is_(None),
                or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            )
            .values(claimed_until=until, attempts=WebhookDelivery.attempts + 1)
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, delivery_id: int) -> WebhookDelivery | None:
        """One delivery."""
        return await self.session.get(WebhookDelivery, delivery_id)

    async def done(self, delivery_id: int, *, now: datetime) -> None:
        """Mark a delivery handled; its body (a person's message) is not kept beyond that,
        only its key, which still recognises a second delivery."""
        await self.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(handled_at=now, claimed_until=None, body="")
        )

    async def forget_before(self, channel: str, cutoff: datetime) -> int:
        """Drop the keys of deliveries handled before `cutoff` (no platform retries that late)."""
        result = await self.session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.channel == channel, WebhookDelivery.handled_at < cutoff
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, delivery_id: int) -> None:
        """Give a delivery back to be handled again later."""
        await self.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(claimed_until=None)
        )

    async def unhandled(self, channel: str, *, now: datetime, limit: int = 100) -> list[int]:
        """Deliveries not handled yet and not claimed by a live worker, oldest first."""
        stmt = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.channel == channel,
                WebhookDelivery.handled_at.is_(None),
                or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            )
            .order_by(WebhookDelivery.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def count(self, channel: str) -> int:
        """How many deliveries of `channel` are stored (handled or not)."""
        stmt = select(WebhookDelivery.id).where(WebhookDelivery.channel == channel)
        return len(list((await self.session.execute(stmt)).scalars()))


class WindowRepository(Repository):
    """Users' last interactions, which open a channel's reply window."""

    async def touch(self, channel: str, external_id: str, at: datetime) -> None:
        """Note an interaction at `at` (an older one never moves the time back)."""
        found = await self.session.get(ReplyWindow, (channel, external_id))
        if found is None:
            stmt = (
                self._insert()(ReplyWindow)
                .values(channel=channel, external_id=external_id, last_interaction_at=at)
                .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            )
            await self.session.execute(stmt)
            return
        if found.last_interaction_at < at:
            found.last_interaction_at = at

    async def last(self, channel: str, external_id: str) -> datetime | None:
        """The last interaction, if any is known."""
        found = await self.session.get(ReplyWindow, (channel, external_id))
        return found.last_interaction_at if found is not None else None
