"""Shared test helpers: real services on this machine, required when CI=true."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import httpx
import pytest

from penworks.auth import AuthService, Role
from penworks.core import RealClock


def service_available(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a machine service is missing; under CI=true a missing service fails."""
    if service_available(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: services are required)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


OPERATOR = "ops.lead"
OPERATOR_PASSWORD = "plant-room key 1957"  # nothing ships a default password; tests make one


async def add_operator(data_dir: Path, role: str = "admin") -> None:
    """An administrator in a platform's data dir, before it starts (as `penworks user add`)."""
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    auth = AuthService.in_data_dir(data_dir, RealClock(), watch_s=None)
    await auth.open()
    try:
        await auth.create_user(OPERATOR, OPERATOR_PASSWORD, Role(role))
    finally:
        await auth.close()


async def sign_in(client: httpx.AsyncClient) -> None:
    """Sign the client in as the operator: every later request carries the access token."""
    response = await client.post(
        "/api/auth/token", data={"username": OPERATOR, "password": OPERATOR_PASSWORD}
    )
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
