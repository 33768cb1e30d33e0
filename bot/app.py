"""The composition root: settings → database, content, search, languages → engine → channels."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.content.search import SearchIndex
from bot.content.topics import ContentLibrary
from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from bot.core.i18n import Catalogs, load_languages
from bot.engine import Engine, Router, Services
from db.org import OrgMap, load_org
from db.repositories import Repos
from db.session import Database

log = logging.getLogger(__name__)


def build_routers() -> list[Router]:
    """Every feature's router, in routing order."""
    from handlers import admin, ask, broadcast, content, deadlines, report, review, start

    # Order matters only for free text: `ask` owns it, so it comes last.
    return [
        start.router,
        content.router,
        report.router,
        review.router,
        admin.router,
        deadlines.router,
        broadcast.router,
        ask.router,
    ]


def load_search(content: ContentLibrary) -> SearchIndex:
    """The search index over every page in every language."""
    return SearchIndex.build(content.search_docs())


@dataclass
class Loa:
    """A running Loa: its database, services and engine."""

    settings: Settings
    db: Database
    services: Services
    engine: Engine

    @classmethod
    async def start(cls, settings: Settings, clock: Clock | None = None) -> Loa:
        """Upgrade the schema, load the org file and content, and wire the engine."""
        db = Database(settings.database_url)
        try:
            await db.upgrade()
            org = load_org(settings.org_file)
            await sync_units(db, org)
        except BaseException:
            await db.close()
            raise
        content = ContentLibrary.load(settings.content_dir)
        languages = load_languages(settings.locales_dir, settings.languages)
        routers = build_routers()
        services = Services(
            settings=settings,
            content=content,
            search=load_search(content),
            catalogs=Catalogs(settings.locales_dir, languages),
            org=org,
            clock=clock or SystemClock(),
            menu=tuple(entry for router in routers for entry in router.menu_entries),
            commands=tuple(entry for router in routers for entry in router.help_entries),
        )
        if settings.channels_configured and not settings.invite_pepper.get_secret_value():
            # Codes are still hashed, but a leaked database could then be brute-forced offline.
            log.warning("INVITE_PEPPER is not set: set a long random value in production")
        log.info(
            "Loa ready: %d topics, %d units (%s), languages %s",
            len(content.ids),
            len(org.units),
            org.name,
            ",".join(settings.languages),
        )
        return cls(settings, db, services, Engine(db, services, routers))

    async def close(self) -> None:
        """Release the database."""
        await self.db.close()


async def sync_units(db: Database, org: OrgMap) -> None:
    """Make the units table match the org file."""
    async with db.session() as session:
        await Repos.of(session).units.sync(org)
