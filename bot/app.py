"""The composition root: settings → database, content, search, languages → engine → channels."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.content.answers import Answerer
from bot.content.search import SearchIndex
from bot.content.topics import ContentLibrary
from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings, StartupError
from bot.core.i18n import Catalogs, load_languages
from bot.deadlines.planner import RulesFileError, rule_book
from bot.engine import Engine, Router, Services
from bot.reports.media import MediaChecks
from bot.translations.workflow import coverage
from db.org import OrgFileError, OrgMap, load_org
from db.repositories import Repos
from db.session import Database

log = logging.getLogger(__name__)


def build_routers() -> list[Router]:
    """Every feature's router, in routing order."""
    from handlers import (
        admin,
        ask,
        broadcast,
        content,
        deadlines,
        desk,
        exports,
        link,
        privacy,
        report,
        review,
        roles,
        start,
        tickets,
    )

    # Order matters only for free text: `ask` owns it, so it comes last.
    return [
        start.router,
        content.router,
        report.router,
        review.router,
        admin.router,
        roles.router,
        deadlines.router,
        tickets.router,
        privacy.router,
        link.router,
        exports.router,
        desk.router,
        broadcast.router,
        ask.router,
    ]


def load_search(content: ContentLibrary) -> SearchIndex:
    """The search index over every page in every language."""
    return SearchIndex.build(content.search_docs())


def load_answerer(content: ContentLibrary, index: SearchIndex | None = None) -> Answerer:
    """The analysis of typed messages: search plus the Vietnamese pages' texts."""
    pages = {
        tid: content.source(tid).title + "\n" + content.source(tid).body for tid in content.ids
    }
    return Answerer(index or load_search(content), pages)


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
        db, org = await open_database(settings)
        content = ContentLibrary.load(settings.content_dir)
        languages = load_languages(settings.locales_dir, settings.languages)
        routers = build_routers()
        search = load_search(content)
        services = Services(
            settings=settings,
            content=content,
            search=search,
            answers=load_answerer(content, search),
            catalogs=Catalogs(settings.locales_dir, languages),
            org=org,
            clock=clock or SystemClock(),
            menu=tuple(entry for router in routers for entry in router.menu_entries),
            commands=tuple(entry for router in routers for entry in router.help_entries),
            media=MediaChecks(settings),
            coverage={
                c.code: c
                for c in coverage(
                    settings.locales_dir, settings.content_dir, settings.languages, library=content
                )
            },
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


async def open_database(settings: Settings) -> tuple[Database, OrgMap]:
    """The database, reachable and migrated, with the org file's units synced into it.

    What an operator can fix (a database that does not answer, a missing or broken org file)
    is a StartupError naming the setting, not a traceback.
    """
    org = read_org(settings)
    check_rules(settings)
    try:
        db = Database(settings.database_url)
    except (OSError, SQLAlchemyError) as exc:  # an unreadable URL, a directory not writable
        raise database_problem(settings.database_url, exc) from None
    try:
        await check_database(db)
        await db.upgrade()
        await sync_units(db, org)
    except BaseException:
        await db.close()
        raise
    return db, org


def read_org(settings: Settings) -> OrgMap:
    """The org file of ORG_FILE, or a StartupError saying what to do."""
    path = settings.org_file
    if not path.is_file():
        raise StartupError(
            f"ORG_FILE: no such file {path}: set ORG_FILE to an org file, such as "
            "db/org/ia-hdrai-2025.yaml (the map since 01/07/2025) or db/org/ia-hdrai-2022.yaml"
        )
    try:
        return load_org(path)
    except OrgFileError as exc:
        raise StartupError(
            f"ORG_FILE: {exc}: fix the file, or point ORG_FILE at another"
        ) from None


def check_rules(settings: Settings) -> None:
    """Read the reporting calendar of DEADLINES_FILE now, or a StartupError saying what to do."""
    try:
        rule_book(settings.deadlines_file)
    except RulesFileError as exc:
        raise StartupError(
            f"DEADLINES_FILE: {exc}: fix the file, or point DEADLINES_FILE at another "
            "(the shipped one is db/org/deadlines.yaml)"
        ) from None


# Time allowed to reach the database at start: long enough for a server that is starting,
# short enough that a wrong address is reported instead of looking like a hang.
CONNECT_TIMEOUT_SECONDS = 15.0


async def check_database(db: Database) -> None:
    """Open one connection; a StartupError naming DATABASE_URL when that fails."""
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS), db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        raise database_problem(db.url, exc) from None
    except Exception as exc:
        # Drivers raise their own errors too (asyncpg: a wrong password, a database that does
        # not exist); at this point any of them means the URL does not lead to a database.
        raise database_problem(db.url, exc) from None


def database_problem(url: str, exc: BaseException) -> StartupError:
    """Why the database of DATABASE_URL cannot be used, in one line without its password."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        shown = "(not a database URL)"
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = lines[0][:200] if lines else type(exc).__name__
    todo = (
        "check the file's path in DATABASE_URL and that its folder can be written"
        if url.startswith("sqlite")
        else "start the database server, or fix DATABASE_URL"
    )
    return StartupError(f"DATABASE_URL: cannot use the database {shown} ({reason}): {todo}")


async def sync_units(db: Database, org: OrgMap) -> None:
    """Make the units table match the org file."""
    async with db.session() as session:
        await Repos.of(session).units.sync(org)
