"""Support for the browser tests: Debian's Chromium driven by Playwright, the people who sign
in, the pages' readiness marks, and screenshots kept as test artefacts.

Playwright never downloads a browser here: it launches the Chromium the machine has (the
Makefile's `browser` target installs Debian's package).
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Locator, Page

from penworks.auth import AuthService, Role
from penworks.core import RealClock

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox"]  # containers and CI runners give no user namespaces
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
TIMEOUT_MS = 15_000  # any one thing a page should do promptly

# The twin the browser tests share (conftest's `platform`): Building 15 at 60x, with water
# on the floor of the third floor's wet core two building minutes in.
SPEED = 60.0
START = datetime(2026, 7, 15, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai
START_S = 120.0  # wall seconds for the twin and the platform to come up
SCENARIOS = """
- {scenario: water_leak, target: f3/wet_core, after: PT2M, duration_s: 36000}
"""


@dataclass(frozen=True, slots=True)
class Account:
    """Someone who signs in: made in the data dir before the platform starts."""

    username: str
    password: str
    role: Role
    tenant: str | None = None


OPERATOR = Account("duty.operator", "night shift at the plant 24", Role.OPERATOR)
INKWELL = Account("ink.user", "inkwell robots draw lines", Role.TENANT_USER, "inkwell")
NIB = Account("nib.user", "nib analytics counts ink", Role.TENANT_USER, "nib")


def require_chromium() -> None:
    """Skip without Chromium; under CI=true a missing browser fails (as require_service)."""
    if os.access(CHROMIUM, os.X_OK):
        return
    message = f"Chromium is not installed at {CHROMIUM} (make browser installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the browser is required)")
    pytest.skip(message)


async def add_accounts(data_dir: Path, *accounts: Account) -> None:
    """Make the accounts in a platform's data dir before it starts (as `penworks user add`)."""
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    auth = AuthService.in_data_dir(data_dir, RealClock(), watch_s=None)
    await auth.open()
    try:
        for a in accounts:
            await auth.create_user(a.username, a.password, a.role, a.tenant)
    finally:
        await auth.close()


async def api_token(client: httpx.AsyncClient, account: Account) -> str:
    """An access token for `account` from the OAuth2 password flow."""
    response = await client.post(
        "/api/auth/token", data={"username": account.username, "password": account.password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def by_id(page: Page, testid: str) -> Locator:
    """The element with exactly this test id (ids hold dots and colons: no CSS escaping)."""
    return page.get_by_test_id(testid)


def ready(page: Page, route: str) -> Locator:
    """The main element once the page of `route` ("#/space/b15.f3.r301") is rendered."""
    return page.locator(f'main[data-route="{route}"][data-ready="true"]')


async def sign_in(page: Page, base_url: str, account: Account, route: str = "#/") -> None:
    """Open `route` signed out, sign in through the form, and wait for the page it leads to."""
    await page.goto(f"{base_url}/{route}")
    await by_id(page, "login-username").fill(account.username)
    await by_id(page, "login-password").fill(account.password)
    await by_id(page, "login-submit").click()
    await ready(page, route).wait_for()


class Screens:
    """Screenshots of one test, saved as `<test name>-<step>.png` under ARTEFACTS."""

    def __init__(self, page: Page, test_name: str) -> None:
        self.page = page
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)

    async def shot(self, step: str) -> Path:
        path = ARTEFACTS / f"{self.prefix}-{step}.png"
        await self.page.screenshot(path=path, full_page=True)
        return path
