"""`make bench`: how fast Loa answers, as ratios against baselines measured in the same run.

Absolute timings depend on the machine; ratios against work every request must do anyway (an
empty database transaction, normalising the query text) say whether Loa's own code is the cost.
Run with DATABASE_URL set to measure PostgreSQL instead of a temporary SQLite file.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text

from bot.app import Loa
from bot.content.search import normalize
from bot.core.chat import Incoming
from bot.core.config import Settings

QUESTIONS = [
    "nha toi duoc ho tro bao nhieu tien lam nha",
    "vay von ngan hang chinh sach lai suat bao nhieu",
    "chinh sach cho gia lang nguoi co uy tin",
    "tre con bi suy dinh duong thi sao",
    "huyen ia hdrai bay gio thuoc tinh nao",
    "hotrolamnha",
    "ko co dat san xuat thi dc gi",
    "bao cao 6 thang gui truoc ngay nao",
]


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


async def _timed(n: int, work: Callable[[int], Awaitable[object]]) -> float:
    start = time.perf_counter()
    for i in range(n):
        await work(i)
    return time.perf_counter() - start


async def main() -> None:
    """Measure and print."""
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(_env_file=None, database_url=url, media_dir=Path(tmp) / "media")  # type: ignore[call-arg]
        loa = await Loa.start(settings)
        try:
            n = 300

            async def empty_transaction(_: int) -> None:
                async with loa.db.session() as session:
                    await session.execute(text("SELECT 1"))

            async def menu(i: int) -> None:
                await loa.engine.handle(
                    Incoming.from_text("bench", f"u{i % 20}", f"m{i}", "/menu")
                )

            async def question(i: int) -> None:
                q = QUESTIONS[i % len(QUESTIONS)]
                await loa.engine.handle(Incoming.from_text("bench", f"u{i % 20}", f"q{i}", q))

            base = await _timed(n, empty_transaction)
            menu_time = await _timed(n, menu)
            ask_time = await _timed(n, question)
            print(f"database: {loa.db.engine.dialect.name}")
            print(f"baseline empty transaction: {_rate(n, base):.0f}/s")
            print(f"/menu through the engine: {menu_time / base:.1f}× the baseline's time")
            print(f"question through the engine: {ask_time / base:.1f}× the baseline's time")

            index = loa.services.search
            rounds = 2000
            start = time.perf_counter()
            for i in range(rounds):
                normalize(QUESTIONS[i % len(QUESTIONS)])
            norm = time.perf_counter() - start
            start = time.perf_counter()
            for i in range(rounds):
                index.search(QUESTIONS[i % len(QUESTIONS)])
            searching = time.perf_counter() - start
            print(f"search: {searching / norm:.1f}× the time of normalising the query alone")

            concurrent = 200
            start = time.perf_counter()
            await asyncio.gather(
                *(
                    loa.engine.handle(Incoming.from_text("bench", f"c{i}", f"c{i}", "/menu"))
                    for i in range(concurrent)
                )
            )
            parallel = time.perf_counter() - start
            sequential_equivalent = menu_time / n * concurrent
            print(
                f"{concurrent} users at once: {parallel / sequential_equivalent:.2f}× the "
                "time of the same work one by one"
            )
        finally:
            await loa.close()


if __name__ == "__main__":
    asyncio.run(main())
