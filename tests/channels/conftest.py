"""The adapters the contract suite runs against: add a driver here and it is held to it all.

A test that takes `driver` runs once per adapter (in its default mode); one that also takes
`mode` runs in every way the adapter can receive updates (polling and webhook).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Loa
from bot.core.config import Settings
from tests.channels.console import ConsoleDriver
from tests.channels.driver import Driver, Mode
from tests.channels.telegram import TelegramDriver
from tests.channels.zalo import ZaloDriver
from tests.channels.zalo_oa import ZaloOADriver
from tests.fakes.runtime import Seen, capture, jpeg

DRIVERS: tuple[type[Driver], ...] = (TelegramDriver, ZaloDriver, ZaloOADriver, ConsoleDriver)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `driver` over the adapters, and over their modes where `mode` is asked for."""
    if "driver" not in metafunc.fixturenames:
        return
    every_mode = "mode" in metafunc.fixturenames
    params = [
        (driver, mode)
        for driver in DRIVERS
        for mode in (driver.modes if every_mode else driver.modes[:1])
    ]
    ids = [f"{driver.name}-{mode}" if every_mode else driver.name for driver, mode in params]
    metafunc.parametrize("driver", params, indirect=True, ids=ids)


@pytest.fixture
async def driver(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> AsyncIterator[Driver]:
    """One user on the adapter this test runs against."""
    kind, mode = request.param
    async with kind.opened(settings, mode, tmp_path) as opened:
        yield opened


@pytest.fixture
def seen(loa: Loa, monkeypatch: pytest.MonkeyPatch) -> Seen:
    """Every event the adapter hands to the engine (which still answers it)."""
    return capture(loa, monkeypatch)


@pytest.fixture
def media(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A poster, and a talk recorded in Ogg Opus and in AAC: what replies can carry."""
    picture, opus, aac = (tmp_path / n for n in ("poster.jpg", "bai-noi.ogg", "bai-noi.aac"))
    picture.write_bytes(jpeg())
    opus.write_bytes(b"OggS opus")
    aac.write_bytes(b"\xff\xf1 aac frames")
    return picture, opus, aac


@pytest.fixture
def mode(driver: Driver) -> Mode:
    """How updates reach Loa in this run."""
    return driver.mode
