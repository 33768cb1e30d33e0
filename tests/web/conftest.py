"""Fixtures of the web desk's tests: a running desk, people on it, a signed-in browser.

    async def test_x(desk: DeskSite, signed_in_page: SignIn) -> None:
        officer = await desk.person(Role.officer, "ia-toi")
        page = await signed_in_page(officer)        # Chromium, signed in via /desk on Telegram
        await page.goto("/desk/review"); await page.screenshots("review")

HTTP-only tests use `async with desk.client(officer) as client` (no browser needed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from bot.app import Loa
from bot.core.config import Settings
from tests.web.browser import CHROMIUM, BrowserPage, BrowserThread
from tests.web.desk import ARTIFACTS, DeskSite, Person, desk_site

SignIn = Callable[[Person], Awaitable[BrowserPage]]


@pytest.fixture
async def desk(loa: Loa, settings: Settings) -> AsyncIterator[DeskSite]:
    """Loa serving the desk (WEB_LISTEN), polling a fake Telegram, on a wiped database."""
    async with desk_site(loa, settings) as site:
        yield site


@pytest.fixture(scope="session")
def browser() -> Iterator[BrowserThread]:
    """One Chromium for the whole session (skips the test when Chromium is not installed)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    thread = BrowserThread()
    yield thread
    thread.close()


@pytest.fixture
async def page(browser: BrowserThread, desk: DeskSite) -> AsyncIterator[BrowserPage]:
    """A fresh browser tab (no cookies) on the desk."""
    tab = BrowserPage(browser, desk.base_url, ARTIFACTS)
    await tab.open()
    yield tab
    await tab.close()


@pytest.fixture
def signed_in_page(page: BrowserPage, desk: DeskSite) -> SignIn:
    """Sign `person` in in the browser with the link /desk gave them on Telegram."""

    async def sign_in(person: Person) -> BrowserPage:
        await page.goto(await desk.link_for(person))
        await page.click("Đăng nhập")
        return page

    return sign_in
