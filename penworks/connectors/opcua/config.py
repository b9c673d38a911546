"""The OPC UA connector's config: which servers to hold a session with, and how.

Paths (certificates, keys) may be relative to the config file: the platform config calls
`resolved(base)` with the file's folder. Passwords never sit in the file: `password_env`
names the environment variable that holds one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from penworks.connectors.settings import LOCAL_ID, ReconnectSettings, Strict
from penworks.core.repeats import repeated
from penworks.model.schema import OpcuaBinding

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class OpcuaSecurityConfig(Strict):
    """A signed (and encrypted) secure channel with this client's certificate."""

    policy: Literal["Basic256Sha256"] = Field(
        "Basic256Sha256", description="Security policy of the secure channel"
    )
    mode: Literal["Sign", "SignAndEncrypt"] = Field(
        "SignAndEncrypt", description="Sign messages only, or sign and encrypt them"
    )
    certificate: Path = Field(description="Client certificate file (DER or PEM)")
    private_key: Path = Field(description="Private key of the client certificate (PEM or DER)")
    server_certificate: Path | None = Field(
        None,
        description="The server's certificate, to pin it; unset takes the one the server "
        "offers with its endpoints",
    )

    def resolved(self, base: Path) -> OpcuaSecurityConfig:
        def absolute(path: Path) -> Path:
            return path if path.is_absolute() else (base / path).resolve()

        server = self.server_certificate
        return self.model_copy(
            update={
                "certificate": absolute(self.certificate),
                "private_key": absolute(self.private_key),
                "server_certificate": None if server is None else absolute(server),
            }
        )


class OpcuaServerConfig(Strict):
    """One OPC UA server: one session, its subscription and its polled reads."""

    name: str = Field(
        pattern=LOCAL_ID, description="Local id of the server; bindings name it in `server`"
    )
    url: str = Field(description="Endpoint URL, opc.tcp://HOST:PORT/PATH")
    security: OpcuaSecurityConfig | None = Field(
        None, description="Secure channel settings; unset connects without security"
    )
    username: str | None = Field(None, description="User name; unset connects anonymously")
    password_env: str | None = Field(
        None,
        pattern=ENV_NAME,
        description="Name of the environment variable holding the user's password",
    )
    publishing_ms: float = Field(
        500.0, gt=0, description="Publishing interval of the subscription, in milliseconds"
    )
    poll_s: float = Field(
        10.0,
        gt=0,
        description="Seconds between polled reads of nodes bound with subscribe false, "
        "and between keep-alive reads of the server's clock",
    )
    timeout_s: float = Field(4.0, gt=0, description="Seconds to wait for each request")
    offline_after: int = Field(
        3, ge=1, description="Failed keep-alive reads in a row before the session is dropped"
    )

    @field_validator("url")
    @classmethod
    def _opc_tcp(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme != "opc.tcp" or not parts.hostname:
            raise ValueError(f"expected opc.tcp://HOST:PORT/PATH, got {url!r}")
        try:
            parts.port  # noqa: B018  # raises ValueError for a port that is not a number
        except ValueError as exc:
            raise ValueError(f"bad port in {url!r}: {exc}") from None
        return url

    @model_validator(mode="after")
    def _password_needs_user(self) -> OpcuaServerConfig:
        if self.password_env is not None and self.username is None:
            raise ValueError("password_env is set but username is not")
        return self


class OpcuaConnectorConfig(ReconnectSettings):
    """The OPC UA connector: a client session with each server."""

    type: Literal["opcua"] = Field(description="Connector kind")
    name: str = Field(
        "opcua", pattern=LOCAL_ID, description="Name in health reports and dead letters"
    )
    servers: list[OpcuaServerConfig] = Field(
        min_length=1, description="The servers to hold a session with"
    )

    @model_validator(mode="after")
    def _unique_servers(self) -> OpcuaConnectorConfig:
        twice = repeated(s.name for s in self.servers)
        if twice:
            raise ValueError(f"server names must be unique; repeated: {', '.join(twice)}")
        return self

    def resolved(self, base: Path) -> OpcuaConnectorConfig:
        """The same config with relative certificate and key paths made absolute against base."""
        servers = [
            s
            if s.security is None
            else s.model_copy(update={"security": s.security.resolved(base)})
            for s in self.servers
        ]
        return self.model_copy(update={"servers": servers})

    def server(self, name: str) -> OpcuaServerConfig | None:
        return next((s for s in self.servers if s.name == name), None)

    def reaches(self, binding: object) -> bool:
        """Whether a point's binding names one of this connector's servers."""
        return isinstance(binding, OpcuaBinding) and self.server(binding.server) is not None
