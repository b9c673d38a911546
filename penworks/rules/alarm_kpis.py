"""Alarm system performance (ISA-18.2 section 16, EEMUA 191): rates, standing, stale, offenders.

Annunciations (entries into unack_active that reached the operator) are kept in memory for
the longest KPI window (7 days), rebuilt from the journal at restore.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from penworks.rules.alarm_flood import PastFlood
from penworks.rules.alarm_types import AlarmPriority, AlarmState, AlarmView, priority_name

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
KEEP = timedelta(days=7)
KEEP_AT_MOST = 1_000_000  # annunciations kept in memory, whatever a week brings


@dataclass(frozen=True, slots=True)
class AlarmGuidance:
    """ISA-18.2 / EEMUA 191 reference figures for one operator position, to compare with."""

    per_hour_acceptable: float = 6.0  # very likely acceptable
    per_hour_manageable: float = 12.0  # maximum manageable
    per_day_acceptable: int = 150
    per_day_manageable: int = 300
    per_10min_max: int = 10  # more is a flood
    flood_time_percent_max: float = 1.0
    top10_share_percent_max: float = 5.0  # the ten most frequent alarms' share of the load
    stale_max: int = 5  # standing longer than the stale limit, on any day
    chattering_max: int = 0


@dataclass(frozen=True, slots=True)
class RateBucket:
    """Annunciations in (start, end]."""

    start: datetime
    end: datetime
    count: int


@dataclass(frozen=True, slots=True)
class Offender:
    alarm_id: str
    count: int  # annunciations in the last 7 days


@dataclass(frozen=True, slots=True)
class AlarmKpis:
    """The alarm book's performance at one instant."""

    at: datetime
    hourly: tuple[RateBucket, ...]  # the last 24 hours, oldest first
    hourly_average: float
    hourly_peak: int
    peak_10min: int  # most annunciations within any 10 minutes of the last 24 hours
    daily: tuple[RateBucket, ...]  # the last 7 days, oldest first
    daily_average: float
    standing: dict[str, int]  # active, annunciated alarms by priority name
    standing_total: int
    unacknowledged: int
    stale: int  # standing longer than the stale limit
    stale_alarms: tuple[str, ...]
    shelved: int
    suppressed: int  # by design, chatter or flood
    suppressed_by: dict[str, int]  # "design", "chatter", "flood"
    out_of_service: int
    chattering: int
    top_offenders: tuple[Offender, ...]  # the ten most annunciated in 7 days
    top_share_percent: float  # their share of all annunciations in 7 days
    floods_24h: int  # floods going on within the last 24 hours
    flood_time_percent: float  # share of the last 24 hours with a flood in any area
    flooding_areas: tuple[str, ...]
    guidance: AlarmGuidance = field(default_factory=AlarmGuidance)


class AnnunciationLog:
    """When each alarm reached the operator, for the last 7 days."""

    def __init__(self) -> None:
        self._items: deque[tuple[datetime, str]] = deque(maxlen=KEEP_AT_MOST)

    def add(self, at: datetime, alarm_id: str) -> None:
        self._items.append((at, alarm_id))
        while self._items[0][0] <= at - KEEP:
            self._items.popleft()

    def recent(self, now: datetime) -> list[tuple[datetime, str]]:
        """The annunciations of the 7 days up to `now`."""
        return [item for item in self._items if now - KEEP < item[0] <= now]

    def restore(self, items: Iterable[tuple[datetime, str]]) -> None:
        self._items = deque(sorted(items), maxlen=KEEP_AT_MOST)


@dataclass(frozen=True, slots=True)
class FloodSpan:
    area: str
    since: datetime
    ended: datetime | None  # None: still flooding


def compute_kpis(
    now: datetime,
    annunciations: list[tuple[datetime, str]],
    alarms: list[AlarmView],
    floods: list[FloodSpan],
    stale_after: timedelta,
) -> AlarmKpis:
    hourly = _buckets(now, annunciations, HOUR, 24)
    daily = _buckets(now, annunciations, DAY, 7)
    standing = [a for a in alarms if a.state in (AlarmState.UNACK_ACTIVE, AlarmState.ACK_ACTIVE)]
    stale = sorted(
        a.id for a in standing if a.active_since is not None and now - a.active_since > stale_after
    )
    by_priority = Counter(a.priority for a in standing)
    suppressed = [a for a in alarms if a.state is AlarmState.SUPPRESSED]
    offenders = _offenders(now, annunciations)
    week = sum(b.count for b in daily)
    return AlarmKpis(
        at=now,
        hourly=hourly,
        hourly_average=sum(b.count for b in hourly) / 24,
        hourly_peak=max(b.count for b in hourly),
        peak_10min=_peak(now, annunciations, timedelta(minutes=10)),
        daily=daily,
        daily_average=week / 7,
        standing={priority_name(p): by_priority[p] for p in AlarmPriority},
        standing_total=len(standing),
        unacknowledged=sum(1 for a in alarms if a.unacknowledged),
        stale=len(stale),
        stale_alarms=tuple(stale),
        shelved=sum(1 for a in alarms if a.state is AlarmState.SHELVED),
        suppressed=len(suppressed),
        suppressed_by=dict(
            Counter(a.suppressed_by.value for a in suppressed if a.suppressed_by is not None)
        ),
        out_of_service=sum(1 for a in alarms if a.state is AlarmState.OUT_OF_SERVICE),
        chattering=sum(1 for a in alarms if a.chattering),
        top_offenders=offenders,
        top_share_percent=100 * sum(o.count for o in offenders) / week if week else 0.0,
        floods_24h=sum(1 for f in floods if f.ended is None or f.ended > now - DAY),
        flood_time_percent=_flood_percent(now, floods),
        flooding_areas=tuple(sorted(f.area for f in floods if f.ended is None)),
    )


def spans(current: Iterable[tuple[str, datetime]], past: Iterable[PastFlood]) -> list[FloodSpan]:
    return [FloodSpan(a, since, None) for a, since in current] + [
        FloodSpan(p.area, p.since, p.ended) for p in past
    ]


def _buckets(
    now: datetime, items: list[tuple[datetime, str]], width: timedelta, count: int
) -> tuple[RateBucket, ...]:
    counts = [0] * count
    for at, _ in items:
        age = now - at
        if timedelta(0) <= age < width * count:
            counts[count - 1 - int(age / width)] += 1
    return tuple(
        RateBucket(now - width * (count - i), now - width * (count - 1 - i), n)
        for i, n in enumerate(counts)
    )


def _peak(now: datetime, items: list[tuple[datetime, str]], window: timedelta) -> int:
    times = sorted(at for at, _ in items if now - DAY < at <= now)
    best = first = 0
    for last, at in enumerate(times):
        while times[first] <= at - window:
            first += 1
        best = max(best, last - first + 1)
    return best


def _offenders(now: datetime, items: list[tuple[datetime, str]]) -> tuple[Offender, ...]:
    counts = Counter(alarm for at, alarm in items if now - KEEP < at <= now)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return tuple(Offender(alarm, n) for alarm, n in ranked)


def _flood_percent(now: datetime, floods: list[FloodSpan]) -> float:
    start = now - DAY
    clipped = sorted(
        (max(f.since, start), min(f.ended or now, now))
        for f in floods
        if (f.ended or now) > start and f.since < now
    )
    total = timedelta(0)
    cursor = start
    for since, ended in clipped:  # the union: overlapping floods of two areas count once
        since = max(since, cursor)
        if ended > since:
            total += ended - since
            cursor = ended
    return 100 * total / DAY


def kpis_to_json(kpis: AlarmKpis) -> dict[str, Any]:
    """The KPIs as JSON (times in ISO 8601), for the API and displays."""

    def rates(buckets: tuple[RateBucket, ...]) -> list[dict[str, Any]]:
        return [
            {"start": b.start.isoformat(), "end": b.end.isoformat(), "count": b.count}
            for b in buckets
        ]

    data = asdict(kpis)
    data |= {
        "at": kpis.at.isoformat(),
        "hourly": rates(kpis.hourly),
        "daily": rates(kpis.daily),
        "stale_alarms": list(kpis.stale_alarms),
        "top_offenders": [{"alarm_id": o.alarm_id, "count": o.count} for o in kpis.top_offenders],
        "flooding_areas": list(kpis.flooding_areas),
    }
    return data
