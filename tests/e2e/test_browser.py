"""The operator web app in a real browser: Chromium driven by Playwright against the twin.

The twin of Building 15 and the platform run in this process, at 60x, with water on the floor
of the third floor's wet core two building minutes in (conftest's `platform`, shared with the
other browser tests). Each test opens a fresh browser context (its own session storage),
signs in through the form as a person would and keeps screenshots of its steps under
test-artifacts/browser/.
"""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest
from playwright.async_api import Page

from tests.e2e.browser_support import (
    INKWELL,
    NIB,
    OPERATOR,
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

ALARM_WAIT_MS = 30_000  # the leak starts two building minutes (two wall seconds) in
LEAK_ALARM = "water_leak:b15.f3.wet_core.leak_detector.leak"
LIGHT = "b15.f3.r301.light.power"  # changes at every step of the twin
BLINDS = "b15.f3.r302.blinds.position"


async def test_an_operator_signs_in_and_out(platform: str, page: Page, screens: Screens) -> None:
    await page.goto(f"{platform}/")
    await ready(page, "#/login").wait_for()
    assert await by_id(page, "sign-out").is_hidden()
    await by_id(page, "login-username").fill(OPERATOR.username)
    await by_id(page, "login-password").fill(OPERATOR.password)
    await screens.shot("1-sign-in-form")
    await by_id(page, "login-submit").click()

    await ready(page, "#/").wait_for()
    assert await by_id(page, "user-name").text_content() == OPERATOR.username
    assert "Operator" in (await by_id(page, "user-role").text_content() or "")
    await page.locator('[data-testid="live-status"][data-state="open"]').wait_for()
    assert await by_id(page, "building-b15").is_visible()
    await screens.shot("2-signed-in")

    async with page.expect_response("**/api/auth/logout") as logout:
        await by_id(page, "sign-out").click()
    assert (await logout.value).status == 204
    await ready(page, "#/login").wait_for()
    assert await by_id(page, "login-form").is_visible()
    assert await by_id(page, "sign-out").is_hidden()
    await screens.shot("3-signed-out")

    # Nothing of the session is left in the tab: a reload asks for a sign-in again.
    await page.reload()
    await ready(page, "#/login").wait_for()
    assert await by_id(page, "login-form").is_visible()


async def test_drill_down_from_the_site_to_a_room_on_the_floor_plan(
    platform: str, page: Page, screens: Screens
) -> None:
    await sign_in(page, platform, OPERATOR)
    await screens.shot("1-site")
    await by_id(page, "building-link-b15").click()
    await ready(page, "#/building/b15").wait_for()
    assert await by_id(page, "page-title").text_content() == "Building 15"
    await screens.shot("2-building")

    await by_id(page, "floor-link-b15.f3").click()
    await ready(page, "#/floor/b15.f3").wait_for()
    room = by_id(page, "room-b15.f3.r301")
    await room.wait_for()
    assert await by_id(page, "floor-plan").is_visible()
    await screens.shot("3-floor-plan")

    await room.click()
    await ready(page, "#/space/b15.f3.r301").wait_for()
    assert await by_id(page, "page-title").text_content() == "Office 301"
    await by_id(page, f"value-{LIGHT}").wait_for()
    await screens.shot("4-room")


async def test_a_value_changes_live_without_a_reload(
    platform: str, page: Page, screens: Screens
) -> None:
    route = "#/space/b15.f3.r301"
    await sign_in(page, platform, OPERATOR, route)
    await page.locator('[data-testid="live-status"][data-state="open"]').wait_for()
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    value = by_id(page, f"value-{LIGHT}")
    await page.locator(f'[data-testid="value-{LIGHT}"][data-ts]').wait_for()
    first_ts = await value.get_attribute("data-ts")
    first_value = await value.get_attribute("data-value")
    await screens.shot("1-before")

    changed = page.locator(f'[data-testid="value-{LIGHT}"]:not([data-ts="{first_ts}"])')
    await changed.wait_for()
    later_ts = await value.get_attribute("data-ts")
    assert later_ts is not None
    assert first_ts is not None
    assert datetime.fromisoformat(later_ts) > datetime.fromisoformat(first_ts)
    assert await value.get_attribute("data-quality") == "good"
    for shown in (first_value, await value.get_attribute("data-value")):
        assert isinstance(json.loads(shown or "null"), int | float), shown  # watts, as sent
    assert loads == [], "the page was reloaded"
    await ready(page, route).wait_for()  # still the same page, never re-rendered away
    await screens.shot("2-after")


async def test_an_operator_acknowledges_the_leak_in_the_alarm_console(
    platform: str, page: Page, screens: Screens
) -> None:
    await sign_in(page, platform, OPERATOR, "#/alarms")
    row = by_id(page, f"alarm-{LEAK_ALARM}")
    raised = page.locator(f'[data-testid="alarm-{LEAK_ALARM}"][data-state="unack_active"]')
    await raised.wait_for(timeout=ALARM_WAIT_MS)
    assert await row.get_attribute("data-priority") == "critical"
    await screens.shot("1-console")

    await by_id(page, f"ack-{LEAK_ALARM}").click()
    dialog = by_id(page, "ack-dialog")
    await dialog.wait_for()
    await by_id(page, "ack-comment").fill("plumber on the way")
    await screens.shot("2-ack-dialog")
    await by_id(page, "ack-dialog-submit").click()
    await dialog.wait_for(state="detached")

    acked = page.locator(f'[data-testid="alarm-{LEAK_ALARM}"][data-state="ack_active"]')
    await acked.wait_for()
    assert "plumber on the way" in (await acked.text_content() or "")
    assert await by_id(page, f"ack-{LEAK_ALARM}").count() == 0
    await screens.shot("3-acknowledged")


async def test_an_operator_command_is_confirmed_and_shown_in_the_priority_array(
    platform: str, page: Page, screens: Screens
) -> None:
    route = f"#/point/{BLINDS}"
    await sign_in(page, platform, OPERATOR, route)
    level = page.locator('[data-testid="level-8"].occupied')
    await by_id(page, "level-8").wait_for()
    assert await level.count() == 0  # nobody has written level 8 yet
    await by_id(page, "command-open").click()
    await by_id(page, "command-dialog").wait_for()
    await by_id(page, "command-value").fill("40")
    await by_id(page, "command-priority").select_option("8")
    await by_id(page, "command-reason").fill("glare on the screens")
    await screens.shot("1-command-dialog")
    await by_id(page, "command-submit").click()

    result = by_id(page, "command-result")
    await page.locator(
        '[data-testid="command-result"]:not([data-status="pending"])[data-status]'
    ).wait_for()
    await screens.shot("2-command-result")
    assert await result.get_attribute("data-status") == "confirmed", await result.text_content()
    assert await by_id(page, "command-status").text_content() == "Confirmed"

    await by_id(page, "command-cancel").click()
    await by_id(page, "command-dialog").wait_for(state="detached")
    await level.wait_for()
    text = await level.text_content() or ""
    assert "40" in text, text
    assert OPERATOR.username in text, text
    await screens.shot("3-priority-array")


async def test_a_tenant_user_cannot_see_or_command_another_tenants_room(
    platform: str, page: Page, screens: Screens
) -> None:
    await sign_in(page, platform, INKWELL, "#/space/b15.f2.r201")
    assert await by_id(page, "page-title").text_content() == "Office 201"  # its own room
    await screens.shot("1-own-room")

    await page.goto(f"{platform}/#/space/b15.f3.r301")
    await ready(page, "#/space/b15.f3.r301").wait_for()
    await by_id(page, "page-error").wait_for()
    assert await by_id(page, f"value-{LIGHT}").count() == 0
    await screens.shot("2-other-room")

    await page.goto(f"{platform}/#/floor/b15.f3")
    await ready(page, "#/floor/b15.f3").wait_for()
    assert await by_id(page, "room-b15.f3.r301").count() == 0
    assert await by_id(page, "page-error").count() + await by_id(page, "floor-plan").count() == 1
    await screens.shot("3-floor-3")

    async with httpx.AsyncClient(base_url=platform, timeout=30) as api:
        token = await api_token(api, INKWELL)
        api.headers["Authorization"] = f"Bearer {token}"
        own = await api.get("/api/points/b15.f2.r201.zone_air_temp/latest")
        assert own.status_code == 200, own.text  # the token works: the 404s are the policy
        latest = await api.get("/api/points/b15.f3.r301.zone_air_temp/latest")
        assert latest.status_code == 404, latest.text
        command = await api.post(
            "/api/commands",
            json={"point": "b15.f3.r301.blinds.position", "value": 40, "priority": 8,
                  "reason": "not my room"},
        )  # fmt: skip
        assert command.status_code == 404, command.text
        # The room's own tenant reads the same point: it exists, it is only not Inkwell's.
        api.headers["Authorization"] = f"Bearer {await api_token(api, NIB)}"
        owner = await api.get("/api/points/b15.f3.r301.zone_air_temp/latest")
        assert owner.status_code == 200, owner.text
