"""Chromium for the desk's browser tests: Debian's own binary, driven by Playwright.

One browser per test session runs on its own thread with its own event loop (Playwright's
objects belong to the loop that made them, and pytest-asyncio gives each test a new loop);
tests reach it through `BrowserPage`, whose methods hand coroutines over to that thread.
Each test gets a fresh browser context (its own cookies). Nothing is downloaded: without
/usr/bin/chromium the browser tests are skipped.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
T = TypeVar("T")


def axe_script() -> str:
    """axe-core's script as shipped inside the axe-playwright-python wheel (no download)."""
    return (
        importlib.resources.files("axe_playwright_python")
        .joinpath("axe.min.js")
        .read_text(encoding="utf-8")
    )


class BrowserThread:
    """A Chromium browser on a thread of its own; `call` runs a coroutine there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.playwright: Any = None
        self.browser: Any = None
        self.submit(self._launch()).result(60)

    async def _launch(self) -> None:
        from playwright.async_api import async_playwright

        self.playwright = await async_playwright().start()
        self.browser = await self.playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )

    def submit(self, coro: Awaitable[T]) -> Future[T]:
        """Start `coro` on the browser's loop."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]

    async def call(self, coro: Awaitable[T]) -> T:
        """Run `coro` on the browser's loop and wait for it from the caller's loop."""
        return await asyncio.wrap_future(self.submit(coro))

    def close(self) -> None:
        """Close the browser and stop the thread."""

        async def shut() -> None:
            await self.browser.close()
            await self.playwright.stop()

        self.submit(shut()).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


class BrowserPage:
    """One tab in a fresh browser context, used from a test's own loop.

    `run(fn)` runs `await fn(page)` with the Playwright page for anything not covered by the
    helpers (`goto`, `click`, `fill`, `text`, `screenshots`, `serious_violations`).
    """

    def __init__(self, browser: BrowserThread, base_url: str, artifacts: Path) -> None:
        self.browser = browser
        self.base_url = base_url
        self.artifacts = artifacts
        self.context: Any = None
        self.page: Any = None

    async def open(self) -> None:
        """A new context (no cookies) and page."""

        async def make() -> None:
            self.context = await self.browser.browser.new_context(
                viewport=DESKTOP, base_url=self.base_url, locale="vi-VN"
            )
            self.page = await self.context.new_page()

        await self.browser.call(make())

    async def close(self) -> None:
        """Close the context."""
        if self.context is not None:
            await self.browser.call(self.context.close())

    async def run(self, action: Callable[[Any], Awaitable[T]]) -> T:
        """`await action(page)` on the browser's thread."""
        return await self.browser.call(action(self.page))

    async def goto(self, url: str) -> int:
        """Open `url` (absolute, or a path of the site); the HTTP status."""

        async def go(page: Any) -> int:
            response = await page.goto(url)
            return int(response.status) if response is not None else 0

        return await self.run(go)

    async def click(self, name: str, role: str = "button") -> None:
        """Press the element of `role` named `name` (and wait for the page it opens)."""

        async def press(page: Any) -> None:
            await page.get_by_role(role, name=name).first.click()
            await page.wait_for_load_state()

        await self.run(press)

    async def fill(self, label: str, value: str) -> None:
        """Type `value` into the field labelled `label`."""
        await self.run(lambda page: page.get_by_label(label).fill(value))

    async def text(self) -> str:
        """The page's visible text."""
        return str(await self.run(lambda page: page.inner_text("body")))

    @property
    async def url(self) -> str:
        """Where the page is."""
        return str(await self.run(_url))

    async def screenshots(self, name: str) -> list[Path]:
        """Full-page screenshots at desktop width and at 390 px (a phone), saved as artifacts."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        paths = []
        for label, viewport in (("desktop", DESKTOP), ("390px", PHONE)):
            path = self.artifacts / f"{name}-{label}.png"

            async def shoot(page: Any, size: dict[str, int] = viewport, to: Path = path) -> None:
                await page.set_viewport_size(size)
                await page.screenshot(path=str(to), full_page=True)

            await self.run(shoot)
            paths.append(path)
        await self.run(lambda page: page.set_viewport_size(DESKTOP))
        print(f"screenshots of {name}: {', '.join(map(str, paths))}")
        return paths

    async def phone_overflow(self) -> int:
        """How many pixels the page is wider than a 390-px phone screen (0: it fits)."""

        async def measure(page: Any) -> int:
            await page.set_viewport_size(PHONE)
            width = int(await page.evaluate("document.documentElement.scrollWidth"))
            await page.set_viewport_size(DESKTOP)
            return max(0, width - PHONE["width"])

        return await self.run(measure)

    async def serious_violations(self) -> list[str]:
        """axe-core's serious and critical violations on the page (id: what, where)."""
        script = axe_script()

        async def check(page: Any) -> list[dict[str, Any]]:
            if not await page.evaluate("typeof window.axe !== 'undefined'"):
                await page.evaluate(script)
            result = await page.evaluate(
                "async () => await axe.run(document, {resultTypes: ['violations']})"
            )
            return list(result["violations"])

        violations = await self.run(check)
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(str(node.get("target")) for node in v.get("nodes", [])[:3])
            for v in violations
            if v.get("impact") in ("serious", "critical")
        ]


async def _url(page: Any) -> str:
    return str(page.url)
