"""The Brick class hierarchy, read once from the ontology that brickschema ships.

Parsing Brick.ttl takes seconds, so the class closure is computed once per Brick version and
brickschema version and kept as JSON in a cache directory; later starts read the JSON. Queries
are dictionary look-ups: nothing here touches rdflib after loading.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from importlib import metadata, resources
from pathlib import Path

from penworks.core import ModelError

log = logging.getLogger(__name__)

BRICK_VERSIONS = ("1.1", "1.2", "1.3", "1.4", "1.5")
DEFAULT_BRICK_VERSION = "1.4"
CACHE_ENV = "PENWORKS_CACHE_DIR"
_CACHE_FORMAT = 2


def default_cache_dir() -> Path:
    """$PENWORKS_CACHE_DIR, else ~/.cache/penworks."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "penworks"


class BrickOntology:
    """The classes of one Brick version and their subclass closure (equivalences included).

    A class is its own subclass. owl:equivalentClass and brick:aliasOf count both ways. A
    deprecated class counts as a subclass of the Brick class that replaces it (what Brick's
    own deprecation rule infers for instances), so a query for the new name finds the old.
    """

    def __init__(
        self,
        version: str,
        ancestors: Mapping[str, Iterable[str]],
        rec_classes: Mapping[str, str] | None = None,
    ) -> None:
        self.version = version
        self._ancestors = {cls: frozenset(up) | {cls} for cls, up in ancestors.items()}
        self._rec = dict(rec_classes or {})
        self._classes = frozenset(self._ancestors)
        descendants: dict[str, set[str]] = {cls: set() for cls in self._classes}
        for cls, ups in self._ancestors.items():
            for up in ups:
                descendants.setdefault(up, set()).add(cls)
        self._descendants = {cls: frozenset(down) for cls, down in descendants.items()}

    @classmethod
    def load(
        cls, version: str = DEFAULT_BRICK_VERSION, cache_dir: Path | None = None
    ) -> BrickOntology:
        """The ontology of a Brick version, from the cache if there, else from Brick.ttl."""
        if version not in BRICK_VERSIONS:
            raise ModelError(
                f"Brick version {version!r} is not shipped; use one of {', '.join(BRICK_VERSIONS)}"
            )
        cache_file = cache_path(version, cache_dir)
        cached = _read_cache(cache_file, version)
        if cached is not None:
            return cached
        ontology = _parse_ontology(version)
        _write_cache(cache_file, ontology)
        return ontology

    def exists(self, cls: str) -> bool:
        return cls in self._classes

    def is_subclass(self, cls: str, parent: str) -> bool:
        """Whether cls is parent or below it; False when either is unknown."""
        return parent in self._ancestors.get(cls, ())

    def subclasses(self, parent: str) -> frozenset[str]:
        """parent and every class below it; ModelError for a class Brick does not have."""
        try:
            return self._descendants[parent]
        except KeyError:
            raise ModelError(self.unknown_class_message(parent)) from None

    def ancestors(self, cls: str) -> frozenset[str]:
        """cls and every class above it (empty for an unknown class)."""
        return self._ancestors.get(cls, frozenset())

    def classes(self) -> frozenset[str]:
        return self._classes

    def from_rec(self, rec_class: str) -> str | None:
        """The Brick class that a RealEstateCore class replaces (rec:Level -> Floor), if any."""
        return self._rec.get(rec_class)

    def unknown_class_message(self, cls: str) -> str:
        from difflib import get_close_matches

        close = get_close_matches(cls, self._classes, n=3, cutoff=0.75)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"{cls!r} is not a class of Brick {self.version}{hint}"

    def to_json(self) -> dict[str, object]:
        return {
            "format": _CACHE_FORMAT,
            "brick_version": self.version,
            "brickschema": _brickschema_version(),
            "ancestors": {c: sorted(up - {c}) for c, up in sorted(self._ancestors.items())},
            "rec": dict(sorted(self._rec.items())),
        }


def _brickschema_version() -> str:
    return metadata.version("brickschema")


def cache_path(version: str, cache_dir: Path | None = None) -> Path:
    """Where the closure of a Brick version is cached (keyed by brickschema's version too)."""
    name = f"brick-{version}-brickschema-{_brickschema_version()}.json"
    return (cache_dir or default_cache_dir()) / name


def _read_cache(path: Path, version: str) -> BrickOntology | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable Brick cache %s: %s", path, exc)
        return None
    if not isinstance(data, dict) or data.get("format") != _CACHE_FORMAT:
        return None
    if data.get("brick_version") != version or data.get("brickschema") != _brickschema_version():
        return None
    return BrickOntology(version, data["ancestors"], data.get("rec", {}))


def _write_cache(path: Path, ontology: BrickOntology) -> None:
    """Write atomically (temp file + rename) so a concurrent start never reads half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(ontology.to_json(), out)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not cache the Brick class hierarchy in %s: %s", path, exc)


def _parse_ontology(version: str) -> BrickOntology:
    from penworks.model.brick_parse import closure_from_ttl

    ttl = resources.files("brickschema") / "ontologies" / version / "Brick.ttl"
    ancestors, rec = closure_from_ttl(ttl.read_bytes())
    return BrickOntology(version, ancestors, rec)
