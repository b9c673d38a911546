"""Read a site file into a SiteDef; every mistake becomes a ConfigError naming file and line."""

from __future__ import annotations

from pathlib import Path

import yaml

from penworks.core import ConfigError
from penworks.core.yamlfile import read_yaml
from penworks.model.brick import BrickOntology
from penworks.model.checks import check_site
from penworks.model.merge import load_fragment, merge_fragment
from penworks.model.places import Loc, Problems, SourceMap
from penworks.model.schema import SiteDef
from penworks.model.templates import expand_site
from penworks.model.validation import validate_model


def read_site(path: Path) -> tuple[SiteDef, SourceMap]:
    """Parse and validate a site file (templates not yet applied)."""
    data, root = read_yaml(path)
    source = str(path)
    sources = SourceMap(source, root)
    problems = Problems(sources)
    if root is not None:
        _check_duplicate_keys(root, (), problems)
    problems.raise_if_any()
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a site file must be a mapping with id, name and buildings")
    site = validate_model(SiteDef, data, (), problems)
    problems.raise_if_any()
    assert site is not None
    return _included(site, path), sources


def _included(site: SiteDef, path: Path) -> SiteDef:
    """The site with its include files merged in, in order (and no includes left)."""
    for name in site.include:
        fragment_path = path.parent / name
        site = merge_fragment(site, load_fragment(fragment_path), source=str(fragment_path))
    return site.model_copy(update={"include": []})


def resolve_site(site: SiteDef, ontology: BrickOntology, sources: SourceMap) -> SiteDef:
    """Apply templates and check the result; the expanded site (no templates left)."""
    problems = Problems(sources)
    expanded, origins = expand_site(site, problems)
    problems.raise_if_any()
    check_site(expanded, origins, ontology, problems)
    problems.raise_if_any()
    return expanded


def _check_duplicate_keys(node: yaml.Node, loc: Loc, problems: Problems) -> None:
    """YAML silently keeps the last of two equal keys; a site file must not lose the first."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            line = key.start_mark.line + 1
            if name in seen:
                problems.add_line(
                    line, loc + (name,), f"duplicate key (first on line {seen[name]})"
                )
            seen.setdefault(name, line)
            _check_duplicate_keys(value, loc + (name,), problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicate_keys(item, loc + (i,), problems)
