"""The twin's protocol servers: they serve SimDevices the way real equipment does."""

from penworks.sim.servers.base import DeviceServer, Endpoint

__all__ = ["DeviceServer", "Endpoint"]
