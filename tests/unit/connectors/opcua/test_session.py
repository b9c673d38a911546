"""Why a session failed, in words; the application URI a certificate names."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from asyncua import ua
from asyncua.crypto import uacrypto

from penworks.connectors.opcua import OpcuaSecurityConfig, OpcuaServerConfig
from penworks.connectors.opcua.session import application_uri, describe, first_to_end
from penworks.connectors.opcua.uanames import UaError, UaStatusCodeError
from tests.unit.connectors.opcua.peer import CLIENT_URI, make_certificates

SERVER = OpcuaServerConfig(name="lifts", url="opc.tcp://10.0.0.5:4840/", timeout_s=2)


def test_failures_are_told_in_words_a_person_can_act_on() -> None:
    assert describe(TimeoutError(), SERVER) == "opc.tcp://10.0.0.5:4840/: no answer within 2 s"
    refused = describe(ConnectionRefusedError(111, "refused"), SERVER)
    assert refused.endswith("connection refused (nothing listening)")
    denied = describe(UaStatusCodeError(ua.StatusCodes.BadUserAccessDenied), SERVER)
    assert "server answered BadUserAccessDenied" in denied
    no_endpoint = describe(UaError("No matching endpoints: 1, http://..."), SERVER)
    assert "offers no endpoint with no security" in no_endpoint
    secure = SERVER.model_copy(
        update={"security": OpcuaSecurityConfig(certificate=Path("c"), private_key=Path("k"))}
    )
    assert "security Basic256Sha256 SignAndEncrypt" in describe(
        UaError("No matching endpoints"), secure
    )


async def test_the_application_uri_comes_from_the_certificate(tmp_path: Path) -> None:
    files = await make_certificates(tmp_path)
    certificate = await uacrypto.load_certificate(str(files["certificate"]))
    assert application_uri(certificate) == CLIENT_URI


async def test_first_to_end_cancels_the_others_and_raises_what_ended_it() -> None:
    cancelled = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def fails() -> None:
        raise TimeoutError("keep-alive")

    with pytest.raises(TimeoutError, match="keep-alive"):
        await first_to_end(forever(), fails())
    assert cancelled.is_set()
