from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from penworks.core import ConfigError
from penworks.core.yamlfile import load_yaml_model


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    port: int


class Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    items: list[Inner]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "file.yaml"
    path.write_text(text)
    return path


def test_a_valid_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "name: a\nitems:\n  - port: 1\n")
    assert load_yaml_model(path, Outer) == Outer(name="a", items=[Inner(port=1)])


def test_errors_name_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "name: a\nitems:\n  - port: 1\n  - port: many\n    extra: 2\n")
    with pytest.raises(ConfigError) as caught:
        load_yaml_model(path, Outer)
    message = str(caught.value)
    assert f"{path}:4: items[1].port: Input should be a valid integer" in message
    assert f"{path}:5: items[1].extra: Extra inputs are not permitted" in message


def test_a_missing_key_points_at_its_parent(tmp_path: Path) -> None:
    path = write(tmp_path, "items: []\n")
    with pytest.raises(ConfigError, match=r"file.yaml:1: name: Field required"):
        load_yaml_model(path, Outer)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: a\nitems: [\n  port: 1\n")
    with pytest.raises(ConfigError, match=r"file.yaml:\d+: not valid YAML"):
        load_yaml_model(path, Outer)


def test_empty_and_missing_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="empty"):
        load_yaml_model(write(tmp_path, ""), Outer)
    with pytest.raises(ConfigError, match="cannot read"):
        load_yaml_model(tmp_path / "absent.yaml", Outer)
