"""The OPC UA connector: variable nodes of OPC UA servers -> observations; writes back.

Built on asyncua: one session per server, a subscription with a monitored item per point
(absolute deadband, sampling interval), polled reads for the rest, Basic256Sha256 security,
and `discover_opcua` to browse a server into a draft site.
"""

from penworks.connectors.opcua.config import (
    OpcuaConnectorConfig,
    OpcuaSecurityConfig,
    OpcuaServerConfig,
)
from penworks.connectors.opcua.connector import OpcuaConnector
from penworks.connectors.opcua.discovery import discover_opcua

__all__ = [
    "OpcuaConnector",
    "OpcuaConnectorConfig",
    "OpcuaSecurityConfig",
    "OpcuaServerConfig",
    "discover_opcua",
]
