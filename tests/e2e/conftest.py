"""Fixtures of the browser tests: one run of the twin of Building 15 and the platform in
this process for the whole package (every browser test module uses the same one), Chromium,
and a fresh browser context and page per test.

The twin's settings are in browser_support (SPEED, START, SCENARIOS). Tests that use these
fixtures run on the package's event loop: `pytest.mark.asyncio(loop_scope="package")`.
"""

from __future__ import annotations

import asyncio
from asyncio import FIRST_COMPLETED
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from penworks.config import DEFAULT_SITE
from penworks.core import SimClock
from penworks.demo import TwinOptions, run_demo
from penworks.model import SiteModel
from penworks.sim.run import Ports
from tests.conftest import free_port
from tests.e2e.browser_support import (
    ARTEFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    INKWELL,
    NIB,
    OPERATOR,
    SCENARIOS,
    SPEED,
    START,
    START_S,
    TIMEOUT_MS,
    Screens,
    add_accounts,
    require_chromium,
)


@pytest_asyncio.fixture(loop_scope="package", scope="package")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The API's base URL while the twin and the platform run."""
    require_chromium()
    folder = tmp_path_factory.mktemp("browser")
    (folder / "scenarios.yaml").write_text(SCENARIOS, encoding="utf-8")
    await add_accounts(folder / "data", OPERATOR, INKWELL, NIB)
    ready_url: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    def on_ready(api: str, _broker: str, _setup_token: str | None) -> None:
        if not ready_url.done():
            ready_url.set_result(api)

    options = TwinOptions(
        seed=15, speed=SPEED, ports=Ports(), truth=None, scenarios=folder / "scenarios.yaml"
    )
    demo = asyncio.create_task(
        run_demo(
            SimClock(START, SPEED),
            SiteModel.load(DEFAULT_SITE),
            DEFAULT_SITE,
            folder / "data",
            0,  # the API takes a free port when it binds: no race with the twin's servers
            None,
            free_port(),
            options,
            on_ready,
            stop,
        )
    )
    try:
        first: set[asyncio.Future[Any]] = {demo, ready_url}
        await asyncio.wait(first, timeout=START_S, return_when=FIRST_COMPLETED)
        if demo.done():
            demo.result()  # raises what stopped it
            pytest.fail("the platform stopped before it was ready")
        if not ready_url.done():
            pytest.fail(f"the platform was not ready within {START_S:.0f} s")
        yield ready_url.result()
    finally:
        stop.set()
        await asyncio.wait_for(demo, 60)


@pytest_asyncio.fixture(loop_scope="package", scope="package")
async def browser(platform: str) -> AsyncIterator[Browser]:
    await asyncio.to_thread(ARTEFACTS.mkdir, parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest_asyncio.fixture(loop_scope="package")
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh context per test: nobody is signed in, nothing is left from the last test."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture
def screens(page: Page, request: pytest.FixtureRequest) -> Screens:
    return Screens(page, request.node.name)
