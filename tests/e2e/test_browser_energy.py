"""The energy app's dashboard in a real browser, against the twin the browser tests share
(conftest's `platform`): reached from the navigation, its figures of now, consumption by
floor and comfort room by room.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Page

from tests.e2e.browser_support import (
    OPERATOR,
    START,
    Screens,
    api_token,
    by_id,
    ready,
    sign_in,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="package"),
]

ROUTE = "#/apps/energy"
FLOORS = ("b15.f1", "b15.f2", "b15.f3", "b15.f4")
CARDS = ("power", "today", "week", "peak", "eui", "savings", "comfort", "anomalies")
METERED_WAIT_S = 60  # the floor meters report within a few wall seconds of the start


async def wait_until_floors_are_metered(platform: str) -> None:
    """Until the energy app has kWh for the four office floors since the twin started."""
    window = {
        "start": (START - timedelta(hours=10)).isoformat(),  # midnight in Shanghai
        "end": (START + timedelta(days=1)).isoformat(),
        "by": "floor",
    }
    async with httpx.AsyncClient(base_url=platform, timeout=30) as api:
        api.headers["Authorization"] = f"Bearer {await api_token(api, OPERATOR)}"
        for _ in range(METERED_WAIT_S):
            answer = await api.get("/api/apps/energy/consumption", params=window)
            assert answer.status_code == 200, answer.text
            if set(FLOORS) <= set(answer.json()["kwh"]):
                return
            await asyncio.sleep(1)
    pytest.fail(f"the floors were not metered within {METERED_WAIT_S} s")


async def test_the_energy_dashboard_shows_now_floors_and_comfort(
    platform: str, page: Page, screens: Screens
) -> None:
    await wait_until_floors_are_metered(platform)
    await sign_in(page, platform, OPERATOR)
    link = by_id(page, "nav-energy")
    await link.wait_for()  # shown once /api/apps lists the energy app as running
    await link.click()
    await ready(page, ROUTE).wait_for()
    assert await by_id(page, "page-title").text_content() == "Energy"
    assert await link.get_attribute("aria-current") == "page"

    # The figures of now (GET overview): a card each, a figure with its unit or "no data yet".
    for card in CARDS:
        value = await by_id(page, f"energy-card-{card}-value").text_content() or ""
        assert value, card
    today = await by_id(page, "energy-card-today-value").text_content() or ""
    assert today.endswith(" kWh"), today
    await screens.shot("1-overview")

    # Today's consumption by floor (GET consumption): a bar for each office floor, in kWh.
    await by_id(page, "by-floor").click()
    for floor in FLOORS:
        row = by_id(page, f"bar-{floor}")
        await row.wait_for()
        assert float(await row.get_attribute("data-kwh") or "0") > 0, floor
        assert "kWh" in (await row.text_content() or ""), floor
    assert await by_id(page, "breakdown-error").count() == 0
    assert "by=floor" in page.url  # the choice is kept in the address
    await screens.shot("2-by-floor")

    # Comfort room by room (GET comfort): each rated room coloured by its class.
    rooms = by_id(page, "energy-comfort").locator("[data-space][data-comfort]")
    await rooms.first.wait_for()
    assert (await rooms.first.get_attribute("data-band") or "").startswith("cf-")
    assert await by_id(page, "comfort-error").count() == 0
    await by_id(page, "energy-comfort").scroll_into_view_if_needed()
    await screens.shot("3-comfort")
