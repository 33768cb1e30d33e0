"""Fixtures: a migrated database per run (SQLite, or the PostgreSQL in DATABASE_URL), a clean
slate per test, a started Loa, and a `Chat` that plays a user through the engine."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import Loa
from bot.core.clock import FrozenClock
from bot.core.config import Settings
from db.base import Base
from db.session import Database, downgrade_schema, upgrade_schema
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo
from tests.helpers import Chat, isolated_settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def _test_database_url(tmp: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        return url
    # Never the developer's own SQLite file: a fresh one per run.
    return f"sqlite+aiosqlite:///{tmp / 'loa-test.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated down and up twice (the migration stairway), then left at head."""
    url = _test_database_url(tmp_path_factory.mktemp("db"))
    upgrade_schema(url)
    downgrade_schema(url, "base")
    upgrade_schema(url)
    return url


@pytest.fixture(autouse=True)
async def _finish_leftover_connections() -> AsyncIterator[None]:
    """Collect what a test left behind while its event loop still runs.

    A database connection dropped without being closed is closed by SQLAlchemy when it is
    garbage-collected, on whatever loop runs then; aiosqlite answers on the loop that opened it.
    Left to a later test's loop, that close never finishes and the later test hangs at teardown.
    """
    yield
    gc.collect()
    await asyncio.sleep(0.05)


@pytest.fixture
def tmp_media(tmp_path: Path) -> Path:
    """A media directory of the test's own."""
    path = tmp_path / "media"
    path.mkdir()
    return path


@pytest.fixture
def settings(database_url: str, tmp_media: Path) -> Settings:
    """Settings that read nothing from the developer's environment or `.env`.

    The conversation tests play on the plan's 2022 map (a district, its bodies and four
    communes: deep enough for escalation and scopes), not the default 2025 one; tests of the
    current map say so with their own `org_file`.
    """
    return isolated_settings(database_url, tmp_media)


@pytest.fixture
def clock() -> FrozenClock:
    """Tuesday 25 November 2026, 09:00 in Vietnam."""
    return FrozenClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))


async def _wipe(url: str) -> None:
    db = Database(url)
    async with db.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(text(f"DELETE FROM {table.name}"))  # noqa: S608 (our tables)
    await db.close()


@pytest.fixture
async def loa(settings: Settings, clock: FrozenClock) -> AsyncIterator[Loa]:
    """A started Loa on a clean database."""
    await _wipe(settings.database_url)
    app = await Loa.start(settings, clock=clock)
    yield app
    await app.close()


@pytest.fixture
def chat(loa: Loa) -> Chat:
    """A villager talking to Loa through the engine."""
    return Chat(loa.engine, user="villager-1")


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, loa: Loa) -> dict[str, str]:
    """Environment for the `loa` command on the test database (wiped by the `loa` fixture)."""
    return {"DATABASE_URL": database_url, "MEDIA_DIR": str(tmp_path / "media")}


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API, for the tests of what is Telegram's own."""
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def zl() -> AsyncIterator[FakeZalo]:
    """A fake Zalo Bot API, for the tests of what is Zalo's own."""
    async with FakeZalo() as fake:
        yield fake
