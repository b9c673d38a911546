from __future__ import annotations

from pathlib import Path

import pytest

from penworks.cli import main

BRICK_DATA = Path(__file__).resolve().parents[1] / "data" / "brick"


def test_model_stats_counts_the_configured_site(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "stats"]) == 0
    rows = dict(line.rsplit(" ", 1) for line in capsys.readouterr().out.splitlines())
    assert rows["Variable_Air_Volume_Box_With_Reheat"] == "13"
    assert int(rows["hasPoint"]) > 1500


def test_model_import_writes_a_site_that_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "office.yaml"
    assert main(["model", "import", str(BRICK_DATA / "brick11_office.ttl"), "--out", str(out)]) == 0
    assert out.exists()
    assert main(["model", "stats", str(out)]) == 0
    assert "VAV 2" in capsys.readouterr().out.splitlines()


def test_unreadable_turtle_is_a_clear_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = BRICK_DATA / "bad_syntax.ttl"
    assert main(["model", "import", str(bad), "--out", str(tmp_path / "x.yaml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"penworks: {bad}:")
    assert "Traceback" not in err


def test_a_bad_platform_config_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "penworks.yaml"
    config.write_text("api:\n  port: -1\n")
    assert main(["run", "--config", str(config)]) == 1
    assert f"{config}:2: api.port" in capsys.readouterr().err


def test_speed_out_of_range_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--speed", "5000", "--duration", "0"]) == 1
    assert "--speed must be between 1 and 600" in capsys.readouterr().err


def test_a_bad_scenario_file_stops_the_twin_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenarios = tmp_path / "scenarios.yaml"
    scenarios.write_text("- {scenario: fire, target: f9/nowhere, after: PT1H}\n")
    truth = tmp_path / "truth.jsonl"
    code = main(
        ["sim", "--broker", "mqtt://127.0.0.1:9", "--scenarios", str(scenarios)]
        + ["--truth", str(truth), "--duration", "5"]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert f"penworks: {scenarios}: [0]: fire cannot happen at 'f9/nowhere'" in err
    assert "Traceback" not in err


def test_a_scenario_needs_a_name_and_a_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "scenario", "fire"]) == 1
    assert "give a scenario and --target" in capsys.readouterr().err


def test_scenarios_are_listed_with_their_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "scenario", "--list"]) == 0
    out = capsys.readouterr().out
    assert "water_leak: a water leak" in out
    assert "b1/plant" in out
