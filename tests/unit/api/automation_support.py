"""Helpers of the automation API tests: the real services behind create_app, one in-process
client, and the kinds of problem they answer with."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI

from penworks.auth.policy import SharingConfig
from penworks.auth.types import Principal
from penworks.control import ControlService
from penworks.core import Clock
from penworks.model import SiteModel
from penworks.rules import AlarmBook, Notifier, ScheduleBook
from penworks.rules.rule_files import RuleFiles
from tests.unit.api.auth_support import ADMIN, FakeAuth, bearer, secured_app
from tests.unit.api.fakes import MemoryHistory
from tests.unit.api.problem_check import assert_problem

REPO = Path(__file__).resolve().parents[3]
SMALL_OFFICE = REPO / "tests" / "data" / "sites" / "small_office.yaml"
URN = "urn:penworks:problem:"


def app_over(
    model: SiteModel,
    clock: Clock,
    *,
    control: ControlService | None = None,
    alarms: AlarmBook | None = None,
    rules: RuleFiles | None = None,
    schedules: ScheduleBook | None = None,
    notifier: Notifier | None = None,
    auth: FakeAuth | None = None,
    sharing: SharingConfig | None = None,
) -> FastAPI:
    """The API over a real model and whichever real services a test runs; `auth` knows the
    principals a test signs in as (the administrator always)."""
    return secured_app(
        model,
        MemoryHistory(),
        auth=auth,
        sharing=sharing,
        clock=clock,
        control=control,
        alarms=alarms,
        rules=rules,
        schedules=schedules,
        notifier=notifier,
    )


@contextlib.asynccontextmanager
async def client_of(
    app: FastAPI, who: Principal | None = ADMIN
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client that talks to the app in-process, signed in as `who` (None: not
    signed in)."""
    transport = httpx.ASGITransport(app=app)
    headers = bearer(who) if who is not None else {}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://penworks.test", headers=headers
    ) as client:
        yield client


def assert_kind(response: httpx.Response, status: int, kind: str, *words: str) -> str:
    """A problem of this status and type whose detail says each of `words`; the detail."""
    body = assert_problem(response, status)
    assert body["type"] == URN + kind, body
    detail: str = body["detail"]
    for word in words:
        assert word in detail, detail
    return detail


def invalid_params(response: httpx.Response) -> list[tuple[str, str]]:
    """The (location, name) of each invalid parameter of a 422 validation problem."""
    body = assert_problem(response, 422)
    assert body["type"] == URN + "invalid-params"
    return [(e["location"], e["name"]) for e in body["errors"]]
