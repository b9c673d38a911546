from __future__ import annotations

from pathlib import Path

import pytest

from penworks.config import DEFAULT_SITE, load_platform_config
from penworks.core import ConfigError


def test_defaults_point_at_building15_and_resolve_paths(tmp_path: Path) -> None:
    path = tmp_path / "penworks.yaml"
    path.write_text("data_dir: state\nconnectors:\n  - type: mqtt\n    watch: ['b15/#']\n")
    config = load_platform_config(path)
    assert config.site == DEFAULT_SITE
    assert config.data_dir == tmp_path / "state"
    assert config.history_path == tmp_path / "state" / "history.db"
    assert config.connectors[0].url == "mqtt://127.0.0.1:1883"


def test_bad_config_names_line_key_and_problem(tmp_path: Path) -> None:
    path = tmp_path / "penworks.yaml"
    path.write_text(
        "api:\n  port: 99999\nconnectors:\n  - type: mqtt\n    url: http://x\n    wach: [a]\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_platform_config(path)
    message = str(caught.value)
    assert f"{path}:2: api.port" in message
    assert f"{path}:5: connectors[0].url" in message
    assert f"{path}:6: connectors[0].wach: Extra inputs are not permitted" in message


def test_unknown_connector_type_and_duplicate_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "penworks.yaml"
    path.write_text("connectors:\n  - type: zigbee\n")
    with pytest.raises(ConfigError, match="connectors\\[0\\]"):
        load_platform_config(path)
    path.write_text("connectors:\n  - type: mqtt\n  - type: mqtt\n")
    with pytest.raises(ConfigError, match="repeated: mqtt"):
        load_platform_config(path)
