"""Assert that a response is an RFC 9457 problem."""

from __future__ import annotations

from typing import Any

import httpx

from penworks.api import PROBLEM_MEDIA_TYPE


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Check the status, the media type and the required fields; return the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert body["type"]
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["instance"] == response.request.url.path
    return body
