from __future__ import annotations

import base64
from datetime import datetime, timedelta

import httpx

from penworks.api.routes.deadletters import PAYLOAD_SHOWN
from penworks.core import DeadLetter
from tests.unit.api.conftest import NOW
from tests.unit.api.fakes import MemoryHistory
from tests.unit.api.problem_check import assert_problem


def letter(
    minutes: int, payload: bytes, source: str = "mqtt", reason: str = "not JSON"
) -> DeadLetter:
    return DeadLetter(source, "b15/f3/r301/temp", NOW + timedelta(minutes=minutes), reason, payload)


async def test_newest_first_with_text_payload(
    client: httpx.AsyncClient, history: MemoryHistory
) -> None:
    await history.append_dead_letters([letter(0, b"{oops"), letter(1, "22,5 °C".encode())])
    response = await client.get("/api/deadletters")
    assert response.status_code == 200
    first, second = response.json()
    assert first["payload_text"] == "22,5 °C"
    assert first["payload_base64"] is None
    assert first["size"] == len("22,5 °C".encode())
    assert first["truncated"] is False
    assert datetime.fromisoformat(first["ts"]) == NOW + timedelta(minutes=1)
    assert (first["source"], first["channel"], first["reason"]) == (
        "mqtt",
        "b15/f3/r301/temp",
        "not JSON",
    )
    assert second["payload_text"] == "{oops"


async def test_binary_payload_comes_with_base64(
    client: httpx.AsyncClient, history: MemoryHistory
) -> None:
    payload = b"\x00\xff\xfe binary"
    await history.append_dead_letters([letter(0, payload)])
    (body,) = (await client.get("/api/deadletters")).json()
    assert base64.b64decode(body["payload_base64"]) == payload
    assert "\ufffd" in body["payload_text"]


async def test_long_payload_is_truncated(client: httpx.AsyncClient, history: MemoryHistory) -> None:
    await history.append_dead_letters([letter(0, b"x" * (PAYLOAD_SHOWN + 10))])
    (body,) = (await client.get("/api/deadletters")).json()
    assert body["truncated"] is True
    assert body["size"] == PAYLOAD_SHOWN + 10
    assert len(body["payload_text"]) == PAYLOAD_SHOWN


async def test_utf8_cut_mid_character_is_still_text(
    client: httpx.AsyncClient, history: MemoryHistory
) -> None:
    payload = b"x" * (PAYLOAD_SHOWN - 1) + "é".encode()
    await history.append_dead_letters([letter(0, payload)])
    (body,) = (await client.get("/api/deadletters")).json()
    assert body["payload_base64"] is None
    assert body["truncated"] is True


async def test_source_and_limit_filter(client: httpx.AsyncClient, history: MemoryHistory) -> None:
    await history.append_dead_letters(
        [letter(m, b"m", source="mqtt") for m in range(5)] + [letter(9, b"b", source="bacnet")]
    )
    body = (await client.get("/api/deadletters", params={"source": "mqtt", "limit": 2})).json()
    assert [datetime.fromisoformat(b["ts"]) for b in body] == [
        NOW + timedelta(minutes=4),
        NOW + timedelta(minutes=3),
    ]
    assert {b["source"] for b in body} == {"mqtt"}


async def test_bad_limit_is_422(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/deadletters?limit=0"), 422)
    assert body["errors"][0]["name"] == "limit"


async def test_counts(client: httpx.AsyncClient, history: MemoryHistory) -> None:
    await history.append_dead_letters(
        [letter(0, b"a"), letter(3, b"b"), letter(1, b"c", reason="unknown topic")]
    )
    response = await client.get("/api/deadletters/counts")
    assert response.status_code == 200
    counts = {c["reason"]: c for c in response.json()}
    assert counts["not JSON"]["count"] == 2
    assert datetime.fromisoformat(counts["not JSON"]["last_ts"]) == NOW + timedelta(minutes=3)
    assert counts["unknown topic"]["count"] == 1
    assert counts["unknown topic"]["channel"] == "b15/f3/r301/temp"


async def test_counts_empty(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/deadletters/counts")).json() == []
