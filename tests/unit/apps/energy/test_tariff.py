"""The time-of-use tariff: the shipped default, banding across midnight and seasons, bills."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from pydantic import ValidationError

from penworks.apps.energy.bills import bill
from penworks.apps.energy.tariff import DEFAULT_TARIFF, Tariff, load_tariff

SH = ZoneInfo("Asia/Shanghai")


def test_the_default_is_real_yaml_with_a_warning_on_its_prices() -> None:
    text = resources.files("penworks.apps.energy").joinpath("data", DEFAULT_TARIFF).read_text()
    assert "illustrative" in text.lower().split("{")[0]
    assert Tariff.model_validate(yaml.safe_load(text)) == load_tariff()


@pytest.mark.parametrize(
    ("local", "band"),
    [
        (datetime(2026, 1, 5, 23, 30, tzinfo=SH), "valley"),
        (datetime(2026, 1, 6, 0, 0, tzinfo=SH), "valley"),  # across midnight
        (datetime(2026, 1, 6, 5, 59, tzinfo=SH), "valley"),
        (datetime(2026, 1, 6, 6, 0, tzinfo=SH), "flat"),
        (datetime(2026, 1, 6, 9, 0, tzinfo=SH), "peak"),
        (datetime(2026, 1, 6, 12, 0, tzinfo=SH), "flat"),
        (datetime(2026, 1, 6, 19, 0, tzinfo=SH), "peak"),
        (datetime(2026, 1, 6, 21, 30, tzinfo=SH), "flat"),
    ],
)
def test_bands_by_local_time(local: datetime, band: str) -> None:
    assert load_tariff().band_at(local) == band


def test_seasons_price_differently_and_utc_is_converted() -> None:
    tariff = load_tariff()
    summer = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: peak
    winter = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert tariff.band_at(summer) == tariff.band_at(winter) == "peak"
    assert tariff.season_at(summer) == "summer"
    assert tariff.price_at(summer) > tariff.price_at(winter)
    # 30 Sep 23:00 UTC is 1 Oct 07:00 in Shanghai: no longer summer
    assert tariff.season_at(datetime(2026, 9, 30, 23, 0, tzinfo=UTC)) == "non_summer"


def test_a_tariff_must_cover_each_day_once_and_price_each_band() -> None:
    good = load_tariff().model_dump(mode="json")
    gap = {**good, "periods": good["periods"][:-1]}
    with pytest.raises(ValidationError, match="cover the day"):
        Tariff.model_validate(gap)
    unpriced = {**good, "prices": {**good["prices"], "summer": {"peak": 1.0, "flat": 0.5}}}
    with pytest.raises(ValidationError, match="no price"):
        Tariff.model_validate(unpriced)
    months = {**good, "seasons": good["seasons"][:1]}
    with pytest.raises(ValidationError, match="each month"):
        Tariff.model_validate(months)


def test_a_tariff_file(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    flat = {"name": "flat", "seasons": [{"name": "all", "months": list(range(1, 13))}],
            "periods": [{"band": "flat", "start": "00:00", "end": "00:00"}],
            "prices": {"all": {"flat": 0.8}}}  # fmt: skip
    path.write_text("# one price all day\n" + json.dumps(flat))
    assert load_tariff(path).price_at(datetime(2026, 5, 5, tzinfo=UTC)) == 0.8


def test_a_tenant_bill_prices_each_hour_at_its_band() -> None:
    tariff = load_tariff()
    start = datetime(2026, 1, 6, 0, 0, tzinfo=SH)
    hourly = {start + timedelta(hours=h): 10.0 for h in range(24)}
    del hourly[start + timedelta(hours=3)]  # one hour unknown
    result = bill("nib", hourly, tariff, start, start + timedelta(days=1))
    lines = {line.band: line for line in result.lines}
    # valley 22-06 (8 h, one missing), flat 06-08, 11-13, 15-18, 21-22 (8 h), peak 8 h
    assert lines["valley"].kwh == 70.0
    assert lines["flat"].kwh == lines["peak"].kwh == 80.0
    assert lines["peak"].cost == pytest.approx(80 * 1.15)
    assert result.cost == round(70 * 0.32 + 80 * 0.71 + 80 * 1.15, 2)
    assert result.missing_hours == 1
    assert result.to_json()["kwh"] == 230.0
