"""The API fuzzed against its own OpenAPI document, with schemathesis.

Every operation the document describes is called with requests made from it, valid and
invalid, in-process over ASGI and signed in as the administrator, against the real services of
isolation_support.world: Building 15, the real AuthService on SQLite, the command path, the
alarm book, the schedules, notifications and stored values. No answer may be a server error,
and every answer must be one the operation documents: its status code, its content type and
its body schema. Each request gets a session of its own, so the operations that end sessions
(logout, signing the administrator out everywhere) end only that one, and none is left out:
the administrator cannot delete, disable or demote itself (403), nor the last administrator
be deleted (409). The services start afresh for each operation. The WebSocket /api/live is not
in the document (test_live.py covers it).

Bounded and reproducible: a fixed seed, MAX_EXAMPLES generated requests per operation besides
the document's examples and schemathesis' coverage cases (boundaries, wrong types, unknown
methods). The tests after it pin what the fuzzing found.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from penworks.api import PROBLEM_MEDIA_TYPE, create_app
from penworks.auth.policy import AccessPolicy, SharingConfig
from penworks.auth.tokens import new_id
from penworks.auth.types import Principal
from penworks.model import SiteModel
from tests.unit.api.fakes import MemoryHistory
from tests.unit.api.isolation_support import A_TEMP, BUILDING15, PASSWORD, World, world

MAX_EXAMPLES = 25
SEED = 15
BASE_URL = "http://penworks.test"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# What of a serialized case a `requests.Request` takes (anything else is a surprise).
REQUEST_FIELDS = {"method", "url", "headers", "params", "cookies", "json", "data", "files"}

MODEL = SiteModel.load(BUILDING15)


def _document() -> dict[str, Any]:
    """The app's OpenAPI document: the same whatever services run behind it."""
    app = create_app(
        model=MODEL,
        history=MemoryHistory(),
        policy=AccessPolicy(MODEL, SharingConfig()),
        auth=None,
    )
    return app.openapi()


# The document is loaded as a dict rather than with `from_asgi`, whose client runs the app on
# an event loop of its own: the services here live on the loop of the portal below.
SCHEMA = schemathesis.openapi.from_dict(_document(), config=SchemathesisConfig(seed=SEED))


@dataclasses.dataclass
class Fuzz:
    """The running world, reached from the test's thread through the portal's event loop."""

    portal: BlockingPortal
    world: World
    admin: Principal

    def call(self, case: Case[Any]) -> httpx.Response:
        """Send a case as schemathesis would (the same bytes), with a fresh admin session."""
        token = self.portal.call(self._session)
        kwargs = case.as_transport_kwargs(
            base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}
        )
        assert set(kwargs) <= REQUEST_FIELDS, kwargs.keys()
        prepared = requests.Request(**kwargs).prepare()
        return self.portal.call(self._send, prepared)

    async def _session(self) -> str:
        fresh = dataclasses.replace(self.admin, session=new_id("ses_"))
        return (await self.world.auth.issue(fresh)).access_token

    async def _send(self, prepared: requests.PreparedRequest) -> httpx.Response:
        assert prepared.method is not None
        assert prepared.url is not None
        body = prepared.body
        assert body is None or isinstance(body, bytes | str), type(body)
        transport = httpx.ASGITransport(app=self.world.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            return await client.request(
                prepared.method, prepared.url, headers=_wire(prepared.headers), content=body
            )


def _wire(headers: Mapping[str, str | bytes]) -> list[tuple[bytes, bytes]]:
    """Headers as they travel: latin-1 bytes."""
    return [
        (name.encode("latin-1"), value if isinstance(value, bytes) else value.encode("latin-1"))
        for name, value in headers.items()
    ]


@pytest.fixture
def fuzz(tmp_path: Path) -> Iterator[Fuzz]:
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(world(MODEL, tmp_path)) as running,
    ):
        admin = portal.call(running.auth.authenticate, "admin", PASSWORD)
        yield Fuzz(portal, running, admin)


@SCHEMA.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # One world per operation, shared by its examples: what one leaves, the next meets.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_is_documented(case: Case[Any], fuzz: Fuzz) -> None:
    response = fuzz.call(case)
    case.validate_response(response, checks=CHECKS)


# What the fuzzing found, pinned.


@pytest.fixture
async def park(tmp_path: Path) -> AsyncIterator[World]:
    async with world(MODEL, tmp_path) as running:
        yield running


def _invalid(response: httpx.Response, location: str, name: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem = response.json()
    assert problem["type"] == "urn:penworks:problem:invalid-params"
    assert [(e["location"], e["name"]) for e in problem["errors"]] == [(location, name)]


@pytest.mark.parametrize(
    "body",
    [b"\x12\xb1", b'{"point": "caf\xe9"}', b"[" * 100_000],
    ids=["binary", "latin-1", "nested too deep"],
)
async def test_a_json_body_that_cannot_be_read_is_an_invalid_body(park: World, body: bytes) -> None:
    """FastAPI answered these with a 400 that no route documents."""
    async with park.client("admin") as client:
        response = await client.post(
            "/api/commands", content=body, headers={"Content-Type": "application/json"}
        )
    _invalid(response, "body", "(whole)")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/schedules?at=0001-01-01T00:02:00Z", "at"),
        ("/api/schedules/office_hours?at=9999-12-31T23:59:00-05:00", "at"),
        ("/api/schedules/office_hours?start=9999-12-30", "start"),
        (f"/api/points/{A_TEMP}/history?end=0001-01-01T00:30:00Z", "end"),
        (f"/api/points/{A_TEMP}/history?start=0001-01-01T00:02:00%2B05:00", "start"),
        ("/api/audit?start=1899-12-31T23:59:59Z", "start"),
        ("/api/notifications?end=3000-01-01T00:00:00Z", "end"),
    ],
)
async def test_times_outside_the_years_1900_to_2999_are_invalid(
    park: World, url: str, name: str
) -> None:
    """Near the ends of the calendar, the schedules and the history window overflowed (500)."""
    async with park.client("admin") as client:
        response = await client.get(url)
    _invalid(response, "query", name)


@pytest.mark.parametrize(
    "url",
    [
        "/api/schedules?at=1900-01-01T00:00:00Z",
        "/api/schedules/office_hours?at=2999-12-31T23:59:59Z&start=2999-12-31&days=366",
        f"/api/points/{A_TEMP}/history?end=1900-01-01T00:30:00Z",
    ],
)
async def test_the_first_and_last_of_those_years_answer(park: World, url: str) -> None:
    async with park.client("admin") as client:
        response = await client.get(url)
    assert response.status_code == 200, response.text
