"""Monitored items from bindings: client handle, deadband filter, sampling interval."""

from __future__ import annotations

from asyncua import ua

from penworks.connectors.opcua.items import monitored_item, subscription_parameters
from penworks.connectors.opcua.points import PointEntry
from tests.unit.connectors.opcua.peer import binding, point


def entry(**fields: object) -> PointEntry:
    bound = binding("Lift1.Position", **fields)
    return PointEntry(point("b15.p"), bound, ua.NodeId.from_string(bound.node), "lifts/p", 42)


def test_a_deadband_becomes_an_absolute_data_change_filter() -> None:
    item = monitored_item(entry(deadband=0.5, sampling_ms=250))
    parameters = item.RequestedParameters
    assert parameters.ClientHandle == 42
    assert parameters.SamplingInterval == 250
    assert isinstance(parameters.Filter, ua.DataChangeFilter)
    assert parameters.Filter.DeadbandType == ua.DeadbandType.Absolute
    assert parameters.Filter.DeadbandValue == 0.5
    assert item.ItemToMonitor.NodeId == ua.NodeId("Lift1.Position", 2)


def test_without_deadband_or_sampling_the_server_decides() -> None:
    parameters = monitored_item(entry()).RequestedParameters
    assert parameters.Filter is None
    assert parameters.SamplingInterval == -1.0  # the publishing interval


def test_keep_alives_come_every_few_seconds_whatever_the_publishing_interval() -> None:
    for publishing_ms in (50.0, 500.0, 10_000.0):
        parameters = subscription_parameters(publishing_ms)
        keepalive_s = parameters.RequestedMaxKeepAliveCount * publishing_ms / 1000
        assert 5.0 <= keepalive_s <= max(5.0, publishing_ms / 1000) + 0.05
        assert parameters.RequestedLifetimeCount >= 3 * parameters.RequestedMaxKeepAliveCount
