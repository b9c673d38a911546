"""The world test_isolation.py calls every route in: Building 15 behind the real AuthService.

Tenant A is Inkwell Robotics (floor 2), tenant B is Nib Analytics (floor 3); the lobby is
shared with every tenant. The app runs a command path (a fake connector echoes each write),
an alarm book with alarms of A, of B and of the lobby and a flood on A's floor, the real
schedules of Building 15, notifications, rules and devices, and a history with values of A's
and B's points, so that a route that leaked would answer with A's data, not with nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from penworks.api import create_app
from penworks.apps.energy.app import EnergyApp
from penworks.apps.host import AppHost, AppServices
from penworks.auth.passwords import Passwords
from penworks.auth.policy import AccessPolicy, SharingConfig
from penworks.auth.service import AuthService
from penworks.auth.store import UserStore
from penworks.auth.types import Action, Role
from penworks.config import AppConfig
from penworks.connectors import DeviceHealth, DeviceState
from penworks.control import ControlConfig
from penworks.core import DeadLetter, Observation
from penworks.model import SiteModel
from penworks.rules import AlarmBook, AlarmPriority, Notifier, ScheduleBook
from penworks.rules.notify_config import NotificationConfig
from penworks.rules.rule_files import RuleLoad
from penworks.rules.status import InstanceStatus, RuleStatus, UnknownRule
from penworks.store import MemoryJournal
from tests.unit.api.fakes import FakeStatus, MemoryHistory
from tests.unit.apps.sample_app import ComfortWatch, find_zones
from tests.unit.control.support import T0, Harness, ManualClock, running
from tests.unit.rules.alarm_support import condition, make_book

REPO = Path(__file__).resolve().parents[3]
BUILDING15 = REPO / "sites" / "building15.yaml"
SCHEDULES = REPO / "sites" / "building15" / "automation" / "schedules.yaml"

TENANT_A, TENANT_B = "inkwell", "nib"
SHARED = "b15.f1.lobby"
A_FLOOR, A_ROOM = "b15.f2", "b15.f2.r201"
A_TEMP = "b15.f2.r201.zone_air_temp"
A_VAV = "b15.f2.r201.vav.occupied_cooling_setpoint"
B_FLOOR, B_ROOM = "b15.f3", "b15.f3.r301"
B_TEMP = "b15.f3.r301.zone_air_temp"
B_VAV = "b15.f3.r301.vav.occupied_cooling_setpoint"  # HVAC: the energy manager's trade
B_DOOR = "b15.f3.door_f3.locked"  # security equipment of floor 3 (no tenant's)
LOBBY_TEMP = "b15.f1.lobby.zone_air_temp"

A_ALARM = f"zone_too_warm:{A_TEMP}"
B_ALARM = f"zone_too_warm:{B_TEMP}"
LOBBY_ALARM = f"zone_too_warm:{LOBBY_TEMP}"
A_FLOOD = [f"co2_high:b15.f2.{room}.zone_co2" for room in ("r201", "r202", "r203", "m201")]

# What of tenant A's must never reach tenant B: its floor's ids and its name.
A_MARKS = ("b15.f2", "inkwell")
ENERGY_T0 = datetime(2026, 1, 6, tzinfo=UTC)  # when the energy app's readings start

PASSWORD = "correct horse battery staple"
ROLES: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.ADMIN, None),
    "operator": (Role.OPERATOR, None),
    "security": (Role.SECURITY_OFFICER, None),
    "energy": (Role.ENERGY_MANAGER, None),
    "viewer": (Role.VIEWER, None),
    "nib.admin": (Role.TENANT_ADMIN, TENANT_B),
    "nib.user": (Role.TENANT_USER, TENANT_B),
    "inkwell.admin": (Role.TENANT_ADMIN, TENANT_A),
    "inkwell.user": (Role.TENANT_USER, TENANT_A),
}

NOTIFICATIONS = NotificationConfig.model_validate(
    {
        "channels": [{"id": "console", "type": "log"}],
        "recipients": [{"id": "duty", "name": "Duty engineer", "roles": ["duty_engineer"]}],
        "routes": [
            {"id": "all", "match": {"priority_at_most": "low"},
             "to": {"roles": ["duty_engineer"]}, "channels": ["console"]},
        ],
        "notice_channels": ["console"],
    }
)  # fmt: skip


class FakeRules:
    """A RuleSource with one rule whose instances are on A's and B's points."""

    def __init__(self) -> None:
        self.reloads = 0

    def rules(self) -> list[RuleStatus]:
        return [self.rule("zone_too_warm")]

    def rule(self, rule_id: str) -> RuleStatus:
        if rule_id != "zone_too_warm":
            raise UnknownRule(rule_id)
        return RuleStatus(
            rule_id, "rules.yaml", "a room too warm", True, 2, 2, 10, 0, None, None, 2, ()
        )

    def instances(self, rule_id: str) -> list[InstanceStatus]:
        self.rule(rule_id)
        return [
            InstanceStatus(f"{rule_id}:{p}", p, True, T0, None, None, False, 29.0)
            for p in (A_TEMP, B_TEMP)
        ]

    async def reload(self) -> RuleLoad:
        self.reloads += 1
        return RuleLoad(("rules.yaml",), 1, ())


class FakeDevices:
    def device_health(self) -> list[DeviceHealth]:
        return [DeviceHealth("bacnet", "vav-r201", DeviceState.ONLINE, T0, 0, 0.5, "inkwell VAV")]


@dataclass
class World:
    """The app, its services and a signed-in client per user."""

    model: SiteModel
    app: FastAPI
    auth: AuthService
    control: Harness
    alarms: AlarmBook
    rules: FakeRules
    tokens: dict[str, str] = field(default_factory=dict)  # username -> access token
    refresh: dict[str, str] = field(default_factory=dict)  # username -> refresh token
    user_ids: dict[str, int] = field(default_factory=dict)
    a_api_token: tuple[str, str] = ("", "")  # an API token of A's user: (id, secret)

    def refs(self, username: str) -> dict[str, str]:
        """What a call's url and body may name: A's user and token, the caller's refresh."""
        return {
            "a_user": str(self.user_ids["inkwell.user"]),
            "a_admin": str(self.user_ids["inkwell.admin"]),
            "a_token": self.a_api_token[0],
            "refresh": self.refresh.get(username, "none"),
        }

    async def a_still_whole(self) -> None:
        """A's users and A's API token still work (AuthError otherwise)."""
        for username in ("inkwell.user", "inkwell.admin"):
            await self.auth.principal(self.tokens[username])
        await self.auth.principal(self.a_api_token[1])

    @contextlib.asynccontextmanager
    async def client(self, username: str | None) -> AsyncIterator[httpx.AsyncClient]:
        """A client signed in as `username` (None: not signed in)."""
        headers = {} if username is None else {"Authorization": f"Bearer {self.tokens[username]}"}
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://penworks.test", headers=headers
        ) as client:
            yield client


async def _alarms(clock: ManualClock) -> AlarmBook:
    book = make_book(clock, flood_threshold=4, flood_release_below=1)
    for alarm, area in ((A_ALARM, A_FLOOR), (B_ALARM, B_FLOOR), (LOBBY_ALARM, "b15.f1")):
        await book.condition(condition(clock, alarm, area=area, value=29.5))
    for alarm in A_FLOOD:  # four more on floor 2: a flood there, some held back
        await book.condition(condition(clock, alarm, area=A_FLOOR, priority=AlarmPriority.LOW))
    return book


async def _history() -> MemoryHistory:
    history = MemoryHistory()
    await history.append([Observation(p, T0, 23.0) for p in (A_TEMP, B_TEMP, LOBBY_TEMP)])
    letter = DeadLetter("mqtt", "b15/f2/r201/hvac", T0, "not JSON", b"inkwell {oops")
    await history.append_dead_letters([letter])
    return history


async def _auth(data_dir: Path, clock: ManualClock) -> tuple[AuthService, dict[str, int]]:
    cheap = Passwords(time_cost=1, memory_kib=8, lanes=1)  # fast hashing for tests
    auth = AuthService(
        UserStore(data_dir / "auth.db"), os.urandom(32), clock, passwords=cheap, watch_s=None
    )
    await auth.open()
    ids = {}
    for username, (role, tenant) in ROLES.items():
        ids[username] = (await auth.create_user(username, PASSWORD, role, tenant)).id
    return auth, ids


def _apps(model: SiteModel, control: Harness, alarms: AlarmBook) -> AppHost:
    """The comfort watch, its zones found (A's and B's), and the energy app with readings of
    every meter (A's and B's, and a reset flagged on each), so their routes have data to
    leak."""
    comfort = ComfortWatch()
    services = AppServices(model, control.bus, MemoryHistory(), control.service, alarms,
                           control.clock)  # fmt: skip
    energy = EnergyApp()
    config = {"comfort": AppConfig(), "energy": AppConfig()}
    host = AppHost(config, services, apps=[comfort, energy], entries=[])
    comfort.zones = find_zones(host.hosted["comfort"].context)
    energy.setup(host.hosted["energy"].context)
    for counter in energy.counters.values():  # every meter used, and reset once
        for hour, kwh in enumerate((100.0, 110.0, 1.0, 4.0)):
            counter.add(ENERGY_T0 + timedelta(hours=hour), kwh)
    return host


@contextlib.asynccontextmanager
async def world(model: SiteModel, data_dir: Path) -> AsyncIterator[World]:
    """Everything running, each user of ROLES signed in."""
    clock = ManualClock(T0)
    auth, ids = await _auth(data_dir, clock)
    try:
        async with running(model, ControlConfig(confirm_timeout_s=2.0), clock=clock) as control:
            rules = FakeRules()
            alarms = await _alarms(clock)
            apps = _apps(model, control, alarms)
            app = create_app(
                model=model,
                history=await _history(),
                policy=AccessPolicy(model, SharingConfig(shared=[SHARED])),
                auth=auth,
                status=FakeStatus({"bacnet": {"state": "online", "device": "vav-r201"}}),
                devices=FakeDevices(),
                clock=clock,
                control=control.service,
                alarms=alarms,
                rules=rules,
                schedules=ScheduleBook.load(SCHEDULES),
                notifier=Notifier(clock, MemoryJournal(), NOTIFICATIONS),
                apps=apps,
            )
            found = World(model, app, auth, control, alarms, rules, user_ids=ids)
            for username in ROLES:
                pair = await auth.issue(await auth.authenticate(username, PASSWORD))
                found.tokens[username] = pair.access_token
                found.refresh[username] = pair.refresh_token
            text, info = await auth.create_api_token(
                ids["inkwell.user"], "inkwell dashboard", {Action.READ}, T0 + timedelta(days=30)
            )
            found.a_api_token = (info.id, text)
            yield found
    finally:
        await auth.close()
