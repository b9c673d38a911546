"""Energy anomalies: what is found, what is not, and the waste in kWh and in money."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from penworks.apps.energy.anomalies import (
    Anomaly,
    AnomalySettings,
    HeatCoolSample,
    OnSample,
    above_baseline,
    base_load,
    left_on,
    merge,
    simultaneous_heating_cooling,
    total_waste,
)
from penworks.apps.energy.consumption import Hourly
from penworks.apps.energy.tariff import load_tariff

SH = ZoneInfo("Asia/Shanghai")
TARIFF = load_tariff()
SETTINGS = AnomalySettings()
TUESDAY = datetime(2026, 1, 6, 0, 0, tzinfo=SH)  # winter: non-summer prices
MINUTE = timedelta(minutes=1)
MIN5 = 5 * MINUTE
H = timedelta(hours=1)
PEAK, FLAT, VALLEY = 1.15, 0.71, 0.32  # the default tariff's non-summer prices, by hand


def hand_price(ts: datetime) -> float:
    """The default tariff's bands written out by hand (non-summer)."""
    hour = ts.astimezone(SH).hour
    if hour >= 22 or hour < 6:
        return VALLEY
    if 8 <= hour < 11 or 13 <= hour < 15 or 18 <= hour < 21:
        return PEAK
    return FLAT


@pytest.mark.parametrize(
    ("hour", "price"), [(3, VALLEY), (7, FLAT), (9, PEAK), (20, PEAK), (21, FLAT), (22, VALLEY)]
)
def test_the_tariff_prices_these_hours_as_written_by_hand(hour: int, price: float) -> None:
    ts = TUESDAY + hour * H
    assert TARIFF.price_at(ts) == hand_price(ts) == price


# --- above baseline -----------------------------------------------------------------------


def day(kwh: float = 10.0) -> dict[datetime, float]:
    return {TUESDAY + h * H: kwh for h in range(24)}


def test_a_three_hour_excess_is_found_with_its_waste_priced_per_hour() -> None:
    expected, actual = day(), day()
    actual[TUESDAY + 19 * H] = 20.0  # peak
    actual[TUESDAY + 20 * H] = 18.0  # peak
    actual[TUESDAY + 21 * H] = 16.0  # flat: the run crosses a band boundary
    actual[TUESDAY + 3 * H] = 11.5  # within 2 x RMSE: noise
    [found] = above_baseline("m3", actual, expected, 1.0, TARIFF, SETTINGS, label="Floor 3")
    assert found.kind == "above_baseline"
    assert (found.start, found.end) == (TUESDAY + 19 * H, TUESDAY + 22 * H)
    assert found.waste_kwh == pytest.approx(24.0)
    assert found.cost == pytest.approx(10 * PEAK + 8 * PEAK + 6 * FLAT)  # 24.96
    assert not found.ongoing
    assert (
        found.message
        == "Floor 3 used 24.0 kWh (¥24.96) more than its baseline Tue 6 Jan 19:00-22:00"
    )
    assert found.detail["expected_kwh"] == 30.0


def test_a_one_hour_blip_is_not_an_anomaly() -> None:
    actual = day()
    actual[TUESDAY + 13 * H] = 30.0
    assert above_baseline("m3", actual, day(), 1.0, TARIFF, SETTINGS) == []


def test_a_missing_hour_breaks_a_run() -> None:
    actual = day()
    for h in (19, 20, 21):
        actual[TUESDAY + h * H] = 20.0
    del actual[TUESDAY + 20 * H]
    assert above_baseline("m3", actual, day(), 1.0, TARIFF, SETTINGS) == []
    single = AnomalySettings(baseline_min_hours=1)
    found = above_baseline("m3", actual, day(), 1.0, TARIFF, single)
    assert [(a.start.hour, a.end.hour) for a in found] == [(19, 20), (21, 22)]


def test_a_small_share_of_a_large_load_is_not_an_excess() -> None:
    # 8 % over for 3 hours: above 2 x RMSE but under the 10 % floor
    actual = {h: 108.0 if 9 <= h.hour < 12 else 100.0 for h in day()}
    assert above_baseline("m", actual, day(100.0), 1.0, TARIFF, SETTINGS) == []


def test_an_excess_up_to_the_last_hour_is_ongoing() -> None:
    actual = day()
    actual[TUESDAY + 22 * H] = actual[TUESDAY + 23 * H] = 15.0
    [found] = above_baseline("m", actual, day(), 1.0, TARIFF, SETTINGS)
    assert found.ongoing
    assert found.cost == pytest.approx(10 * VALLEY)
    assert found.message.endswith("Tue 6 Jan 22:00 - Wed 7 Jan 00:00, still going")


def test_a_bad_rmse_is_refused() -> None:
    with pytest.raises(ValueError, match="RMSE"):
        above_baseline("m", day(), day(), float("nan"), TARIFF, SETTINGS)


# --- base load ----------------------------------------------------------------------------

MONDAY = datetime(2026, 1, 5, 0, 0, tzinfo=SH)
WEEKEND = (datetime(2026, 1, 9, 18, 0, tzinfo=SH), datetime(2026, 1, 12, 8, 0, tzinfo=SH))


def week(night_kw: float, weekend_kw: float, days: int = 8) -> tuple[Hourly, dict[datetime, bool]]:
    """Mon 5 Jan to Mon 12 Jan: 100 kW occupied (weekdays 08-18), else nights or weekend."""
    actual, occupied = {}, {}
    for i in range(days * 24):
        h = MONDAY + i * H
        occupied[h] = h.weekday() < 5 and 8 <= h.hour < 18
        weekend = WEEKEND[0] <= h < WEEKEND[1]
        actual[h] = 100.0 if occupied[h] else weekend_kw if weekend else night_kw
    return actual, occupied


def test_weekend_base_load_at_sixty_percent_is_reported_with_its_excess() -> None:
    actual, occupied = week(night_kw=20.0, weekend_kw=60.0)
    [found] = base_load("main", actual, occupied, TARIFF, SETTINGS)
    # Fri 18:00 - Mon 08:00, less one hour of ramp down and two of pre-start
    start, end = WEEKEND[0] + H, WEEKEND[1] - 2 * H
    assert (found.start, found.end) == (start, end)
    hours = [start + i * H for i in range(59)]
    assert found.waste_kwh == pytest.approx((60 - 25) * 59)
    assert found.cost == pytest.approx(sum(35 * hand_price(h) for h in hours))
    assert found.detail["ratio"] == pytest.approx(0.6)
    assert found.detail["reference_kw"] == pytest.approx(25.0)
    assert not found.ongoing
    assert "2,065.0 kWh (¥" in found.message
    assert found.message.startswith("main drew 60.0 kW while unoccupied Fri 9 Jan 19:00")


def test_base_load_at_twenty_percent_is_not_reported() -> None:
    actual, occupied = week(night_kw=20.0, weekend_kw=20.0)
    assert base_load("main", actual, occupied, TARIFF, SETTINGS) == []


def test_a_meter_given_base_load_is_judged_against_it() -> None:
    actual, occupied = week(night_kw=20.0, weekend_kw=60.0)
    server_room = AnomalySettings(base_load_kw={"main": 55.0})  # 60 is within 55 + 20 %
    assert base_load("main", actual, occupied, TARIFF, server_room) == []


def test_a_weekend_still_unoccupied_at_the_last_hour_is_ongoing() -> None:
    actual, occupied = week(night_kw=20.0, weekend_kw=60.0, days=7)  # ends Sun 23:00
    [found] = base_load("main", actual, occupied, TARIFF, SETTINGS)
    assert found.ongoing
    assert found.end == datetime(2026, 1, 12, 0, 0, tzinfo=SH)
    assert found.waste_kwh == pytest.approx(5 * 60 + 48 * 60 - 53 * 25)


# --- left on ------------------------------------------------------------------------------


def lights(on_empty: range, span: range, power_kw: float | None = 1.5) -> list[OnSample]:
    """Samples every 5 minutes (minutes after 18:00 on Tuesday): on in an empty room within
    `on_empty`, occupied and on before it, empty and off after it."""
    start = TUESDAY + 18 * H
    out = []
    for m in span:
        empty, on = m >= on_empty.start, m < on_empty.stop
        out.append(OnSample(start + m * MINUTE, on, not empty, power_kw))
    return out


def test_lights_on_in_an_empty_room_for_two_hours_waste_power_times_time() -> None:
    samples = lights(on_empty=range(120, 240), span=range(0, 300, 5))  # 20:00 - 22:00
    [found] = left_on("room-301", samples, TARIFF, SETTINGS)
    assert (found.start, found.end) == (TUESDAY + 20 * H, TUESDAY + 22 * H)
    assert found.waste_kwh == pytest.approx(1.5 * 2)
    assert found.cost == pytest.approx(1.5 * PEAK + 1.5 * FLAT)  # 20:00 peak, 21:00 flat
    assert found.detail["estimated"] == "false"
    assert not found.ongoing
    assert found.message == (
        "room-301 was on in an unoccupied space Tue 6 Jan 20:00-22:00: 3.0 kWh (¥2.79) wasted"
    )


def test_ten_minutes_on_in_an_empty_room_is_within_grace() -> None:
    samples = lights(on_empty=range(60, 70), span=range(0, 180, 5))
    assert left_on("room-301", samples, TARIFF, SETTINGS) == []


def test_a_run_still_going_at_the_last_sample_is_ongoing() -> None:
    samples = lights(on_empty=range(180, 999), span=range(0, 245, 5))  # 21:00 - 22:00
    [found] = left_on("room-301", samples, TARIFF, SETTINGS)
    assert found.ongoing
    assert found.end == TUESDAY + 22 * H
    assert found.waste_kwh == pytest.approx(1.5)
    assert "still going" in found.message


def test_without_measured_power_the_rating_is_used_and_marked() -> None:
    samples = lights(on_empty=range(120, 240), span=range(0, 300, 5), power_kw=None)
    rated = AnomalySettings(left_on_kw={"room-301": 0.8})
    [found] = left_on("room-301", samples, TARIFF, rated)
    assert found.waste_kwh == pytest.approx(1.6)
    assert found.detail["estimated"] == "true"
    assert found.message.endswith("(estimated from its rating)")
    [unknown] = left_on("room-301", samples, TARIFF, SETTINGS)
    assert unknown.waste_kwh == 0.0
    assert unknown.detail["power_unknown_h"] == pytest.approx(2.0)
    assert "unknown amount" in unknown.message


def test_a_long_silence_between_samples_breaks_a_run() -> None:
    t = TUESDAY + 19 * H
    samples = [OnSample(t + i * MIN5, True, False, 1.0) for i in range(9)]  # 19:00 - 19:40
    samples += [OnSample(t + 150 * MINUTE + i * MIN5, True, False, 1.0) for i in range(7)]
    [found] = left_on("fcu-1", samples, TARIFF, SETTINGS)  # 21:30 - 22:00 is within grace
    assert (found.start, found.end) == (t, t + 40 * MINUTE)
    assert found.waste_kwh == pytest.approx(40 / 60)


# --- simultaneous heating and cooling -----------------------------------------------------


def heat_cool(
    minutes: int, heating: float = 30.0, cooling: float = 30.0, heating_kw: float | None = 4.0
) -> list[HeatCoolSample]:
    """Both active every 5 minutes from 10:00 for `minutes`, then heating off until 11:30."""
    start = TUESDAY + 10 * H
    return [
        HeatCoolSample(start + m * MINUTE, heating if m < minutes else 0.0, cooling, heating_kw)
        for m in range(0, 95, 5)
    ]


def test_heating_and_cooling_for_an_hour_waste_the_reheat() -> None:
    [found] = simultaneous_heating_cooling("vav-3-12", heat_cool(60), TARIFF, SETTINGS)
    assert (found.start, found.end) == (TUESDAY + 10 * H, TUESDAY + 11 * H)
    assert found.waste_kwh == pytest.approx(4.0)
    assert found.cost == pytest.approx(4.0 * PEAK)
    assert found.detail["heating_pct"] == pytest.approx(30.0)
    assert found.detail["estimated"] == "false"
    assert "heating and cooling at once" in found.message


def test_without_reheat_kw_the_overlap_share_of_the_rating_is_used() -> None:
    samples = heat_cool(60, heating=30.0, cooling=40.0, heating_kw=None)
    rated = AnomalySettings(heat_cool_kw={"ahu-1": 10.0})
    [found] = simultaneous_heating_cooling("ahu-1", samples, TARIFF, rated)
    assert found.waste_kwh == pytest.approx(0.30 * 10.0)
    assert found.detail["estimated"] == "true"


def test_a_short_overlap_or_a_leaking_valve_is_not_reported() -> None:
    assert simultaneous_heating_cooling("vav", heat_cool(10), TARIFF, SETTINGS) == []
    assert simultaneous_heating_cooling("vav", heat_cool(60, heating=4.0), TARIFF, SETTINGS) == []


# --- merging, totals, JSON ----------------------------------------------------------------


def two_hours_each(*starts: int) -> list[Anomaly]:
    out = []
    for hour in starts:
        on = range(hour * 60 - 18 * 60, hour * 60 - 18 * 60 + 120)
        samples = lights(on_empty=on, span=range(on.start - 30, on.stop + 30, 5))
        out += left_on("room", samples, TARIFF, SETTINGS)
    return out


def test_touching_anomalies_merge_and_overlaps_count_once() -> None:
    first, touching, overlapping = two_hours_each(18, 20, 19)
    [joined] = merge([touching, first])
    assert (joined.start, joined.end) == (first.start, touching.end)
    assert joined.waste_kwh == pytest.approx(first.waste_kwh + touching.waste_kwh)
    assert joined.cost == pytest.approx(first.cost + touching.cost)
    assert joined.detail["merged"] == 2.0
    assert "Tue 6 Jan 18:00-22:00" in joined.message
    [again] = merge([first, overlapping])  # 18-20 and 19-21: 18-19 from the first only
    assert again.waste_kwh == pytest.approx(1.5 * 3)
    other = left_on("elsewhere", lights(range(0, 120), range(0, 150, 5)), TARIFF, SETTINGS)
    assert len(merge([first, *other])) == 2  # another subject is not merged


def test_total_waste_sums_kwh_and_money() -> None:
    found = two_hours_each(18, 20)
    kwh, cost = total_waste(found)
    assert kwh == pytest.approx(6.0)
    assert cost == pytest.approx(sum(a.cost for a in found))
    assert total_waste([]) == (0.0, 0.0)


def test_json_rounds_kwh_to_a_tenth_and_money_to_a_cent() -> None:
    a = Anomaly("left_on", "r", TUESDAY, TUESDAY + H, 1.26, 0.12345, "m", True, {"x": 1.23456})
    out = a.to_json()
    assert (out["waste_kwh"], out["cost"]) == (1.3, 0.12)
    assert out["detail"] == {"x": 1.235}
    assert out["start"] == "2026-01-06T00:00:00+08:00"
    assert out["ongoing"] is True


def test_a_run_seen_twice_merges_into_the_longer_look() -> None:
    samples = lights(on_empty=range(120, 999), span=range(0, 245, 5))  # 20:00 - 22:00, going
    [early] = left_on("room", samples[:-12], TARIFF, SETTINGS)  # seen up to 21:00
    [late] = left_on("room", samples, TARIFF, SETTINGS)
    for pair in ([early, late], [late, early]):
        [joined] = merge(pair)
        assert (joined.start, joined.end) == (late.start, late.end)
        assert joined.waste_kwh == pytest.approx(late.waste_kwh)
        assert joined.ongoing
