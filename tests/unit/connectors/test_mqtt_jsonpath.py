from __future__ import annotations

import pytest

from penworks.connectors.mqtt.jsonpath import MISSING, compile_path, format_path
from penworks.core import ConfigError

DOC = {
    "a": {"b": 1, "c": [10, {"d": "deep"}]},
    "a b": True,
    "it's": 2,
    "x.y": 3,
    "list": [[1, 2], [3, 4]],
    "null": None,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.a.b", 1),
        ("$.a.c[0]", 10),
        ("$.a.c[1].d", "deep"),
        ("$.a.c[-1].d", "deep"),
        ("$['a b']", True),
        ('$["a b"]', True),
        ("$['it\\'s']", 2),
        ("$['x.y']", 3),
        ("$.list[1][0]", 3),
        ("$['a']['c'][1]['d']", "deep"),
        ("$.null", None),
    ],
)
def test_get_follows_keys_indexes_and_quoted_keys(path: str, expected: object) -> None:
    assert compile_path(path).get(DOC) == expected


def test_root_is_the_whole_document() -> None:
    assert compile_path("$").get(21.5) == 21.5
    assert compile_path("$").get(DOC) is DOC


@pytest.mark.parametrize(
    "path",
    [
        "$.nope",
        "$.a.b.c",  # through a number
        "$.a.c[5]",  # past the end
        "$.a[0]",  # an index into an object
        "$.a.c.d",  # a key into an array
        "$.a.c[1].d[0]",  # an index into a text: never a character
    ],
)
def test_get_returns_missing_where_the_path_leads_nowhere(path: str) -> None:
    assert compile_path(path).get(DOC) is MISSING


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("a.b", "must start with '$'"),
        ("$.", "a key name after '.'"),
        ("$a", "'.' or '['"),
        ("$[", "an index or a quoted key"),
        ("$[x]", "an index or a quoted key"),
        ("$[0", "']'"),
        ("$['open", "closing '"),
        ("$.a..b", "a key name after '.'"),
    ],
)
def test_malformed_paths_are_config_errors_saying_where(path: str, where: str) -> None:
    with pytest.raises(ConfigError, match="JSON path") as caught:
        compile_path(path)
    assert where in str(caught.value)


@pytest.mark.parametrize(
    "steps",
    [(), ("a", "b"), ("a", 0, "b"), ("a b",), ("it's", -1), ("x.y", "back\\slash"), ("0",)],
)
def test_format_path_is_the_inverse_of_compile(steps: tuple[str | int, ...]) -> None:
    assert compile_path(format_path(steps)).steps == steps


def test_equal_paths_compare_equal_by_steps() -> None:
    assert compile_path("$.a.b") == compile_path("$['a']['b']")
    assert hash(compile_path("$.a.b")) == hash(compile_path("$['a'].b"))
    assert compile_path("$.a") != compile_path("$.b")
