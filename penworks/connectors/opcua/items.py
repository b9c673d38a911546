"""The subscription and its monitored items, described from the bindings.

Each subscribed point gets its own monitored item, with the binding's absolute deadband
(a DataChangeFilter) and sampling interval, and the point's handle as client handle, so a
notification leads straight back to its point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from asyncua import ua

from penworks.connectors.opcua.points import PointEntry
from penworks.connectors.opcua.uanames import AttributeIds

KEEPALIVE_S = 5.0  # the server sends a keep-alive at least this often when nothing changes
LIFETIME_KEEPALIVES = 10  # the server drops the subscription after this many silent keep-alives


def subscription_parameters(publishing_ms: float) -> ua.CreateSubscriptionParameters:
    keepalive = max(1, math.ceil(KEEPALIVE_S * 1000.0 / publishing_ms))
    return ua.CreateSubscriptionParameters(
        RequestedPublishingInterval=publishing_ms,
        RequestedLifetimeCount=keepalive * LIFETIME_KEEPALIVES,
        RequestedMaxKeepAliveCount=keepalive,
        MaxNotificationsPerPublish=10_000,
        PublishingEnabled=True,
        Priority=0,
    )


def deadband_filter(deadband: float) -> ua.DataChangeFilter:
    """Report a change of status, or of value by more than `deadband` (absolute)."""
    return ua.DataChangeFilter(
        Trigger=ua.DataChangeTrigger.StatusValue,
        DeadbandType=ua.DeadbandType.Absolute,
        DeadbandValue=deadband,
    )


def monitored_item(entry: PointEntry) -> ua.MonitoredItemCreateRequest:
    binding = entry.binding
    parameters = ua.MonitoringParameters(
        ClientHandle=entry.handle,
        # -1 asks for the publishing interval: the server default
        SamplingInterval=-1.0 if binding.sampling_ms is None else binding.sampling_ms,
        QueueSize=1,
        DiscardOldest=True,
        Filter=None if binding.deadband is None else deadband_filter(binding.deadband),
    )
    return ua.MonitoredItemCreateRequest(
        ItemToMonitor=ua.ReadValueId(NodeId=entry.node, AttributeId=AttributeIds.Value),
        MonitoringMode=ua.MonitoringMode.Reporting,
        RequestedParameters=parameters,
    )


def monitored_items(entries: Iterable[PointEntry]) -> list[ua.MonitoredItemCreateRequest]:
    return [monitored_item(e) for e in entries]
