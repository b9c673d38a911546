"""YAML files validated by pydantic, with errors that name the file, the line and the key.

Used for every file a person edits (site models, platform config, rules later on).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from penworks.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
# libyaml's parser when PyYAML was built with it: several times faster on large files.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """The parsed data and its node tree (for line numbers); ConfigError if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = _construct(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{line}: not valid YAML: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return data, node


def _construct(node: yaml.Node | None) -> Any:
    """The data of a composed document (parsed once, for both the data and the lines)."""
    if node is None:
        return None
    loader = _LOADER("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def locate(
    node: yaml.Node | None, loc: tuple[int | str, ...]
) -> tuple[int | None, tuple[int | str, ...]]:
    """The 1-based line of the deepest node along loc, and loc as the file spells it.

    Keys the file does not have are skipped (pydantic adds union tags such as 'mqtt'), except
    the last one, which is often the very key that is wrong (an unknown or missing key).
    """
    line = node.start_mark.line + 1 if node is not None else None
    path: list[int | str] = []
    for i, key in enumerate(loc):
        child = _child(node, key)
        if child is None:
            if i == len(loc) - 1:
                path.append(key)
            continue
        node = child
        path.append(key)
        line = node.start_mark.line + 1
    return line, tuple(path)


def _child(node: yaml.Node | None, key: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int):
        return node.value[key] if 0 <= key < len(node.value) else None
    return None


def format_loc(loc: tuple[int | str, ...]) -> str:
    """('buildings', 0, 'floors') -> 'buildings[0].floors'."""
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(top level)"


def config_error(path: Path, node: yaml.Node | None, exc: ValidationError) -> ConfigError:
    """One ConfigError listing every problem pydantic found, each with its line."""
    lines = []
    for error in exc.errors(include_url=False):
        line, loc = locate(node, tuple(k for k in error["loc"] if isinstance(k, int | str)))
        where = f"{path}:{line}" if line is not None else str(path)
        lines.append(f"{where}: {format_loc(loc)}: {error['msg']}")
    return ConfigError("\n".join(lines))


def load_yaml_model(path: Path, model: type[M]) -> M:
    """Read a YAML file into a pydantic model; ConfigError naming file:line:key on any problem."""
    data, node = read_yaml(path)
    if data is None:
        raise ConfigError(f"{path}: the file is empty")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise config_error(path, node, exc) from exc
