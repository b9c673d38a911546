"""NatsBus without a server: subject mapping, consumer planning, settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from penworks.bus import NatsBus, NatsSettings
from penworks.bus.nats_subscription import ConsumerTarget, consumer_name, intersect, plan_consumers
from penworks.core import BusError, Observation

STREAMS = [
    ("P_OBS", ["site.obs.>", "site.deadletter.>"]),
    ("P_CMD", ["site.cmd.>"]),
    ("P_EVENTS", ["site.event.>", "site.health.>"]),
]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (">", "obs.>", "obs.>"),
        ("obs.>", "obs.>", "obs.>"),
        ("obs.b15.>", "obs.>", "obs.b15.>"),
        ("*.b15.x", "obs.>", "obs.b15.x"),
        ("obs.*", "obs.>", "obs.*"),
        ("obs", "obs.>", None),
        ("cmd.>", "obs.>", None),
        ("obs.a.*", "obs.*.b", "obs.a.b"),
        ("obs.a", "obs.b", None),
        ("obs.a.b", "obs.a", None),
    ],
)
def test_intersection_of_two_patterns(a: str, b: str, expected: str | None) -> None:
    assert intersect(a, b) == expected
    assert intersect(b, a) == expected


def test_a_pattern_covering_a_stream_takes_it_whole() -> None:
    assert plan_consumers("site.>", STREAMS) == [
        ConsumerTarget("P_OBS", None),
        ConsumerTarget("P_CMD", None),
        ConsumerTarget("P_EVENTS", None),
    ]


def test_a_narrow_pattern_filters_the_one_stream_it_reaches() -> None:
    assert plan_consumers("site.obs.b15.>", STREAMS) == [ConsumerTarget("P_OBS", "site.obs.b15.>")]


def test_a_pattern_reaching_two_subjects_of_a_stream_gets_a_consumer_for_each() -> None:
    targets = plan_consumers("site.*.b15", STREAMS)
    obs = [t for t in targets if t.stream == "P_OBS"]
    assert {t.filter_subject for t in obs} == {"site.obs.b15", "site.deadletter.b15"}
    assert len({t.suffix for t in obs}) == 2
    assert all(t.suffix for t in obs)
    assert [t.stream for t in targets].count("P_CMD") == 1


def test_a_pattern_outside_every_stream_plans_nothing() -> None:
    assert plan_consumers("other.>", STREAMS) == []


def test_consumer_names_keep_only_safe_characters() -> None:
    assert consumer_name("history-writer") == "history-writer"
    assert consumer_name("live:ops.lead:obs.>") == "live_ops_lead_obs"
    with pytest.raises(ValueError, match="consumer name"):
        consumer_name("..>")


def test_subjects_live_under_the_subject_prefix() -> None:
    bus = NatsBus(NatsSettings(subject_prefix="site1"))
    assert bus.wire("obs.b15.x") == "site1.obs.b15.x"
    assert bus.unwire("site1.obs.b15.x") == "obs.b15.x"
    assert bus.stream_names == ["PENWORKS_OBS", "PENWORKS_CMD", "PENWORKS_EVENTS"]


@pytest.mark.parametrize(
    ("subject", "why"), [("obs.*", "wildcard"), ("obs.>", "wildcard"), ("misc.x", "no stream")]
)
async def test_publishing_where_no_stream_listens_is_refused(subject: str, why: str) -> None:
    bus = NatsBus()
    with pytest.raises(BusError, match=why):
        await bus.publish(subject, Observation("x", datetime.now(UTC), 1.0))


async def test_a_closed_bus_refuses_publish_and_subscribe() -> None:
    bus = NatsBus()
    await bus.close()
    with pytest.raises(BusError, match="closed"):
        await bus.publish("obs.x", {"a": 1})
    with pytest.raises(BusError, match="closed"):
        bus.subscribe("obs.>", name="x")


def test_subscribe_checks_its_arguments() -> None:
    bus = NatsBus()
    with pytest.raises(ValueError, match="token"):
        bus.subscribe("obs..x", name="x")
    with pytest.raises(ValueError, match="maxsize"):
        bus.subscribe("obs.>", name="x", maxsize=0)
    with pytest.raises(ValueError, match="consumer name"):
        bus.subscribe("obs.>", name=":::", durable=True)
    assert bus.subscribe("obs.>", name=":::").name == ":::"  # a live one needs no name


@pytest.mark.parametrize(
    "changes",
    [
        {"servers": ()},
        {"stream_prefix": "A.B"},
        {"subject_prefix": "a.*"},
        {"subject_prefix": "a..b"},
        {"publish_timeout_s": 0},
    ],
)
def test_bad_settings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        NatsSettings(**changes)  # type: ignore[arg-type]
