"""The kill harness: `loa run` as a subprocess against the fake Bot APIs, killed (SIGKILL) at a
chosen point and started again, for any test about what survives a crash.

A kill point is something the test can see from outside the process, so that it is the same
on every run:

- a platform call in flight: `FakeServer.hold(method, after=n)` keeps the (n+1)-th call of
  `method` waiting for its answer; `LoaProcess.kill_when` kills once it has arrived;
- a database write in progress (PostgreSQL): `RowLock` holds a row the event's transaction
  needs, and `RowLock.wait_for_writer` returns once a transaction that already wrote is
  waiting for it;
- anything else the fakes record (`kill_when(predicate)`).

Usage::

    async with loa_process(settings, TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_BASE=tg.url) as loa:
        release = tg.hold("sendPhoto", after=1)
        ...
        await loa.kill_when(lambda: held(tg, "sendPhoto", 2), release=release)
        await loa.start()  # the same command again
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import signal
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from bot.core.config import ROOT, Settings
from tests.fakes.common import Call, FakeServer
from tests.fakes.runtime import LOA, loa_env

START_WITHIN = 90.0  # aiogram alone takes seconds to import on a busy machine


class LoaProcess:
    """One `loa run` at a time on the test's database; killed and started again at will."""

    def __init__(self, settings: Settings, **env: str) -> None:
        self.env = loa_env(settings, **env)
        self.process: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []  # everything every start logged, in order
        self.kills = 0
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start `loa run` (again); its log is read continuously so the pipe never fills."""
        assert self.process is None or self.process.returncode is not None, "still running"
        self.process = await asyncio.create_subprocess_exec(
            str(LOA), "run", env=self.env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
        )
        self._reader = asyncio.create_task(self._read(self.process))

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            self.lines.append(line.decode(errors="replace"))

    @property
    def log(self) -> str:
        """All that was logged so far."""
        return "".join(self.lines)

    async def wait_log(self, text: str, within: float = START_WITHIN) -> None:
        """Wait until a line containing `text` was logged (or fail with the log)."""
        async with asyncio.timeout(within):
            while not any(text in line for line in self.lines):
                if self.process is not None and self.process.returncode is not None:
                    raise AssertionError(f"loa run ended:\n{self.log}")
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or closed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self._finish()
        self.kills += 1

    async def kill_when(
        self,
        condition: Callable[[], Any],
        *,
        fake: FakeServer,
        release: asyncio.Event | None = None,
        within: float = 60.0,
    ) -> None:
        """Kill as soon as `condition()` holds on what `fake` saw; then let a held call end."""
        await fake.wait_for(condition, within)
        await self.kill()
        if release is not None:
            release.set()

    async def stop(self) -> int:
        """SIGTERM, as a service manager stops it; the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self._finish(), 60)
        return int(self.process.returncode or 0)

    async def _finish(self) -> None:
        assert self.process is not None
        await self.process.wait()
        if self._reader is not None:
            await self._reader

    async def close(self) -> None:
        """Kill what still runs (the end of a test)."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self._finish()


@asynccontextmanager
async def loa_process(settings: Settings, **env: str) -> AsyncIterator[LoaProcess]:
    """A started `loa run` with `env` added, killed at the end if it still runs."""
    loa = LoaProcess(settings, **env)
    await loa.start()
    try:
        yield loa
    finally:
        await loa.close()


# --- what the fakes saw ---------------------------------------------------------------------


def arrived(fake: FakeServer, method: str) -> list[Call]:
    """Calls of `method` that reached the fake, answered or still held (a held one reached the
    platform: the user may see it even if the sender never hears back)."""
    return [call for call in fake.calls if call.method == method and call.status in (0, 200)]


def shown(fake: FakeServer, chat_id: object) -> list[Call]:
    """Every message that reached a chat, once the held calls were let through."""
    return [
        call
        for call in fake.calls
        if call.method in fake.send_methods
        and call.status in (0, 200)
        and str(call.params.get("chat_id")) == str(chat_id)
    ]


def repeats(keys: Iterable[object]) -> dict[object, int]:
    """What was shown more than once, and how often."""
    return {key: n for key, n in collections.Counter(keys).items() if n > 1}


# --- a database write in progress (PostgreSQL) ------------------------------------------------


class RowLock:
    """A row held by the test's own transaction, so that Loa's write to it has to wait."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def wait_for_writer(self, within: float = 30.0) -> None:
        """Wait until another transaction that has already written waits for this lock: Loa is
        in the middle of a write (its transaction id exists, its commit has not happened)."""
        query = """
            SELECT count(*) FROM pg_stat_activity
            WHERE pid <> pg_backend_pid() AND datname = current_database()
              AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL
        """
        try:
            async with asyncio.timeout(within):
                while not await self.connection.fetchval(query):
                    # Statistics are a snapshot per transaction, and this one stays open.
                    await self.connection.execute("SELECT pg_stat_clear_snapshot()")
                    await asyncio.sleep(0.02)
        except TimeoutError:
            await self.connection.execute("SELECT pg_stat_clear_snapshot()")
            activity = await self.connection.fetch(
                "SELECT state, wait_event_type, wait_event, backend_xid, query"
                " FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                " AND datname = current_database()"
            )
            raise AssertionError(f"no write waits for the lock: {activity}") from None


@asynccontextmanager
async def row_lock(dsn: str, table: str, where: str, *args: object) -> AsyncIterator[RowLock]:
    """Hold `SELECT … FROM table WHERE … FOR UPDATE` until the block ends (then roll back)."""
    connection = await asyncpg.connect(dsn)
    try:
        transaction = connection.transaction()
        await transaction.start()
        sql = f"SELECT 1 FROM {table} WHERE {where} FOR UPDATE"  # noqa: S608 (the test's own)
        assert await connection.fetch(sql, *args), f"no row in {table} where {where}"
        try:
            yield RowLock(connection)
        finally:
            with contextlib.suppress(Exception):
                await transaction.rollback()
    finally:
        await connection.close()
