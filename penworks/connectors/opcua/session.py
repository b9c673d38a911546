"""Opening and closing one asyncua client session, and saying in words why one failed.

The connector reconnects on its own (with jittered backoff and its health tracker), so the
library's auto-reconnect stays off: a lost session ends, and the next one is opened fresh,
subscriptions included.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from asyncua import ua
from asyncua.client.ua_client import UaClientState
from asyncua.crypto import security_policies, uacrypto
from cryptography import x509

from penworks.connectors.opcua.config import OpcuaSecurityConfig, OpcuaServerConfig
from penworks.connectors.opcua.uanames import Client, UaError, UaStatusCodeError
from penworks.core import ConnectorError

CLIENT_NAME = "Penworks OPC UA connector"
DEFAULT_APPLICATION_URI = "urn:penworks:opcua:client"
SESSION_TIMEOUT_MS = 600_000
POLICIES: dict[str, type[security_policies.SecurityPolicy]] = {
    "Basic256Sha256": security_policies.SecurityPolicyBasic256Sha256,
}
MODES = {
    "Sign": ua.MessageSecurityMode.Sign,
    "SignAndEncrypt": ua.MessageSecurityMode.SignAndEncrypt,
}

# What a request to a server raises when the server or the network fails it.
SESSION_ERRORS: tuple[type[Exception], ...] = (OSError, TimeoutError, UaError)
# ... and what opening one may raise besides: a certificate or key that does not load.
OPEN_ERRORS: tuple[type[Exception], ...] = (*SESSION_ERRORS, ValueError)


class SessionLost(ConnectorError):
    """The session ended under the connector (connection closed, keep-alive failed)."""


# What ends a session that was open.
ENDED_ERRORS: tuple[type[Exception], ...] = (*SESSION_ERRORS, SessionLost)
# What closing a session may raise when the server is already gone.
CLOSE_ERRORS: tuple[type[Exception], ...] = (*SESSION_ERRORS, RuntimeError)


async def open_session(
    server: OpcuaServerConfig, password: str | None, *, watchdog_s: float
) -> Client:
    """A connected client with an active session; raises SESSION_ERRORS when refused."""
    client = Client(server.url, timeout=server.timeout_s, watchdog_intervall=watchdog_s)
    client.name = client.description = CLIENT_NAME
    client.application_uri = DEFAULT_APPLICATION_URI
    client.session_timeout = SESSION_TIMEOUT_MS
    if server.username is not None:
        client.set_user(server.username)
    if password is not None:
        client.set_password(password)
    if server.security is not None:
        await _secure(client, server.security)
    await client.connect(auto_reconnect=False)
    return client


async def _secure(client: Client, security: OpcuaSecurityConfig) -> None:
    certificate = await uacrypto.load_certificate(str(security.certificate))
    # Servers check that the client's application URI is the one its certificate names.
    client.application_uri = application_uri(certificate) or DEFAULT_APPLICATION_URI
    server_certificate = security.server_certificate
    await client.set_security(
        POLICIES[security.policy],
        certificate=str(security.certificate),
        private_key=str(security.private_key),
        server_certificate=None if server_certificate is None else str(server_certificate),
        mode=MODES[security.mode],
    )


def application_uri(certificate: x509.Certificate) -> str | None:
    """The application URI a certificate names in its subject alternative names."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    uris = names.value.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


async def close_session(client: Client, timeout_s: float) -> None:
    """Close the session politely when the server is there; never raises."""
    try:
        async with asyncio.timeout(timeout_s):
            await client.disconnect()
    except CLOSE_ERRORS:
        client.disconnect_socket()


async def wait_disconnected(client: Client) -> None:
    """Return when the client's connection is gone (socket closed or the library's probe failed)."""
    async with client.subscribe_state() as states:
        await states.wait_for_state(UaClientState.DISCONNECTED)


def describe(exc: BaseException, server: OpcuaServerConfig) -> str:
    """Why a session failed, in words a person can act on."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError):
        return f"{server.url}: no answer within {server.timeout_s:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return f"{server.url}: connection refused (nothing listening)"
    if isinstance(exc, FileNotFoundError):
        return f"{server.url}: cannot read {exc.filename}: {exc.strerror}"
    if isinstance(exc, UaStatusCodeError):
        return f"{server.url}: server answered {ua.StatusCode(exc.code).name}: {text}"
    if text.startswith("No matching endpoints"):
        wanted = "no security" if server.security is None else _security_words(server.security)
        return (
            f"{server.url}: the server offers no endpoint with {wanted}; "
            "set the server's `security` to a policy and mode it offers"
        )
    return f"{server.url}: {text}"


def _security_words(security: OpcuaSecurityConfig) -> str:
    return f"security {security.policy} {security.mode}"


async def first_to_end(*coroutines: Coroutine[Any, Any, None]) -> None:
    """Run coroutines side by side until one ends; cancel the rest; re-raise what it raised."""
    tasks = [asyncio.create_task(c) for c in coroutines]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, *ENDED_ERRORS):
                await task
    for task in done:
        task.result()  # the first that ended: its exception, if any, is the session's end
