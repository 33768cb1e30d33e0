"""The database: engine, sessions (one transaction per event or job) and schema upgrades."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for `url`, without any ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic reads "%" as interpolation: escape it for passwords that contain one.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_schema(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (blocking; runs its own event loop)."""
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def downgrade_schema(url: str, revision: str = "base") -> None:
    """Revert migrations down to `revision` (blocking)."""
    command.downgrade(alembic_config(url), revision)


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        # The database holds villagers' personal data: its folder is the service user's alone.
        Path(parsed.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        _ensure_sqlite_dir(url)
        # hide_parameters: an error's log line names the statement, never the values bound to it
        # (names and phone numbers would otherwise land in log files).
        options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        if self.is_sqlite:
            options["connect_args"] = {"timeout": 30}
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin_immediate)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite runs one writing transaction at a time (BEGIN IMMEDIATE). Queueing them here
        # lets waiting transactions wait on the event loop instead of in SQLite's busy handler,
        # which sleeps and retries: a burst of users is then as fast as the same work in a row.
        self._turn = asyncio.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        """SQLite has no row locks: one process runs on it."""
        return make_url(self.url).get_backend_name() == "sqlite"

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (called on start)."""
        await asyncio.to_thread(upgrade_schema, self.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if self._turn is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._turn, self.sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
        """Release every connection."""
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: a transaction that reads and then writes would otherwise fail
    # at once with SQLITE_BUSY when another one committed in between (WAL snapshots), instead of
    # waiting its turn. SQLite runs one writer at a time either way; PostgreSQL runs users in
    # parallel.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
