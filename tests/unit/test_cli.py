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
