"""The building model: site YAML -> resolved site of Brick-classed entities and points.

Load once with `SiteModel.load(path)` and pass the model around; `BrickOntology.load()` is
the (cached) Brick class hierarchy it reasons with. Brick Turtle is the exchange format:
`export_turtle`, `validate_turtle`, `import_turtle`, `dump_site_yaml`, `stats`.
"""

from penworks.model.brick import BrickOntology
from penworks.model.brick_import import import_turtle
from penworks.model.entities import Entity, EntityKind, Relation
from penworks.model.errors import UnknownEntityError
from penworks.model.site import SiteModel
from penworks.model.stats import load_any, stats
from penworks.model.turtle import export_turtle, validate_turtle
from penworks.model.yaml_dump import dump_site_yaml

__all__ = [
    "BrickOntology",
    "Entity",
    "EntityKind",
    "Relation",
    "SiteModel",
    "UnknownEntityError",
    "dump_site_yaml",
    "export_turtle",
    "import_turtle",
    "load_any",
    "stats",
    "validate_turtle",
]
