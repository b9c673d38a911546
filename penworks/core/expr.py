"""A small, safe expression language for rule conditions and interlocks.

People write conditions such as ``value > 28 and occupied`` or ``mode in ('fire-alarm',
'pre-alarm')`` in YAML. The text is parsed with Python's own parser (``ast``, eval mode),
then every node is checked against a short list of what is allowed and compiled into plain
closures: user text is never handed to ``eval``, names resolve only to the variables the
caller binds, and only the functions below can be called. Compiled once, an expression
evaluates in about a microsecond.

Allowed: numbers, strings, True/False/None, tuples and lists of them; ``and or not``;
``+ - * / // %`` (and ``**`` with a small exponent); comparisons, chained (``18 <= t < 26``),
``in`` / ``not in``; ``a if cond else b``; calls of abs, min, max, round, clamp, bool,
float, int, str, len.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from penworks.core.errors import PenworksError

MAX_LENGTH: Final = 2_000
MAX_DEPTH: Final = 40
MAX_POWER: Final = 64

Env = Mapping[str, Any]
_Node = Callable[[Env], Any]


class ExpressionError(PenworksError, ValueError):
    """An expression that cannot be parsed or is not allowed; the message says where and why."""


class MissingValue(PenworksError):  # noqa: N818 - a condition, not a failure
    """A name the expression needs has no value (yet): the expression cannot be decided."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no value for {name!r}")
        self.name = name


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "abs": abs,
    "min": min,
    "max": max,
    "round": round,
    "clamp": _clamp,
    "bool": bool,
    "float": float,
    "int": int,
    "str": str,
    "len": len,
}

_BINARY: Final[dict[type[ast.operator], Callable[[Any, Any], Any]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}

_COMPARE: Final[dict[type[ast.cmpop], Callable[[Any, Any], bool]]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


@dataclass(frozen=True, slots=True)
class Expression:
    """A checked, compiled expression; `names` are the variables it reads."""

    text: str
    names: frozenset[str]
    _run: _Node

    @classmethod
    def compile(cls, text: str) -> Expression:
        """Parse and check `text`; ExpressionError saying what is wrong and where."""
        if not text.strip():
            raise ExpressionError("the expression is empty")
        if len(text) > MAX_LENGTH:
            raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"syntax error at column {exc.offset}: {exc.msg}") from None
        compiler = _Compiler()
        run = compiler.node(tree.body, 0)
        return cls(text, frozenset(compiler.names), run)

    def evaluate(self, env: Env) -> Any:
        """The value for these variables; MissingValue if one is not bound or is None,
        ExpressionError if the arithmetic fails (a division by zero, a type mismatch)."""
        try:
            return self._run(env)
        except (MissingValue, ExpressionError):
            raise
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise ExpressionError(f"{self.text!r}: {exc}") from None

    def truth(self, env: Env) -> bool:
        """The expression as a condition."""
        return bool(self.evaluate(env))


class _Compiler:
    """Turns an allowed AST into nested closures, collecting the names it reads."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def node(self, node: ast.expr, depth: int) -> _Node:
        if depth > MAX_DEPTH:
            raise ExpressionError("the expression nests too deeply")
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise ExpressionError(f"{_describe(node)} is not allowed (column {node.col_offset})")
        result: _Node = handler(node, depth + 1)
        return result

    def _Constant(self, node: ast.Constant, depth: int) -> _Node:  # noqa: N802
        value = node.value
        if not isinstance(value, int | float | str | bool) and value is not None:
            raise ExpressionError(f"the constant {value!r} is not allowed")
        return lambda env: value

    def _Name(self, node: ast.Name, depth: int) -> _Node:  # noqa: N802
        name = node.id
        if name in ("True", "False", "None"):  # pragma: no cover - parsed as constants
            raise ExpressionError(f"{name} is a constant")
        self.names.add(name)

        def lookup(env: Env) -> Any:
            value = env.get(name)
            if value is None:
                raise MissingValue(name)
            return value

        return lookup

    def _Tuple(self, node: ast.Tuple, depth: int) -> _Node:  # noqa: N802
        items = [self.node(e, depth) for e in node.elts]
        return lambda env: tuple(item(env) for item in items)

    def _List(self, node: ast.List, depth: int) -> _Node:  # noqa: N802
        return self._Tuple(ast.Tuple(elts=node.elts), depth)

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> _Node:  # noqa: N802
        parts = [self.node(v, depth) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda env: all(p(env) for p in parts)
        return lambda env: any(p(env) for p in parts)

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> _Node:  # noqa: N802
        operand = self.node(node.operand, depth)
        if isinstance(node.op, ast.Not):
            return lambda env: not operand(env)
        if isinstance(node.op, ast.USub):
            return lambda env: -operand(env)
        if isinstance(node.op, ast.UAdd):
            return lambda env: +operand(env)
        raise ExpressionError(f"the operator {type(node.op).__name__} is not allowed")

    def _BinOp(self, node: ast.BinOp, depth: int) -> _Node:  # noqa: N802
        left, right = self.node(node.left, depth), self.node(node.right, depth)
        if isinstance(node.op, ast.Pow):
            return lambda env: _power(left(env), right(env))
        op = _BINARY.get(type(node.op))
        if op is None:
            raise ExpressionError(f"the operator {type(node.op).__name__} is not allowed")
        if isinstance(node.op, ast.Mult):
            return lambda env: _multiply(left(env), right(env))
        return lambda env: op(left(env), right(env))

    def _Compare(self, node: ast.Compare, depth: int) -> _Node:  # noqa: N802
        first = self.node(node.left, depth)
        steps = [
            (_COMPARE[type(op)], self.node(c, depth))
            for op, c in zip(node.ops, node.comparators, strict=True)
        ]
        if len(steps) == 1:
            ((op, right),) = steps
            return lambda env: op(first(env), right(env))

        def chained(env: Env) -> bool:
            left = first(env)
            for op, part in steps:
                right = part(env)
                if not op(left, right):
                    return False
                left = right
            return True

        return chained

    def _IfExp(self, node: ast.IfExp, depth: int) -> _Node:  # noqa: N802
        test, body, orelse = (self.node(n, depth) for n in (node.test, node.body, node.orelse))
        return lambda env: body(env) if test(env) else orelse(env)

    def _Call(self, node: ast.Call, depth: int) -> _Node:  # noqa: N802
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            raise ExpressionError(f"only these functions may be called: {allowed}")
        if node.keywords:
            raise ExpressionError("functions take positional arguments only")
        function = FUNCTIONS[node.func.id]
        args = [self.node(a, depth) for a in node.args]
        return lambda env: function(*(a(env) for a in args))


def _power(base: Any, exponent: Any) -> Any:
    if isinstance(exponent, int | float) and abs(exponent) > MAX_POWER:
        raise ExpressionError(f"exponents above {MAX_POWER} are not allowed")
    result = base**exponent
    if isinstance(result, float) and math.isinf(result):
        raise ExpressionError("the power overflows")
    return result


def _multiply(left: Any, right: Any) -> Any:
    if isinstance(left, str | tuple) or isinstance(right, str | tuple):
        raise ExpressionError("text and lists cannot be multiplied")
    return left * right


def _describe(node: ast.AST) -> str:
    names = {
        "Attribute": "attribute access (a.b)",
        "Subscript": "indexing (a[b])",
        "Lambda": "lambda",
        "NamedExpr": "assignment (:=)",
        "ListComp": "a comprehension",
        "GeneratorExp": "a comprehension",
        "SetComp": "a comprehension",
        "DictComp": "a comprehension",
        "Dict": "a dict",
        "Set": "a set",
        "JoinedStr": "an f-string",
        "Starred": "unpacking (*)",
        "Await": "await",
    }
    return names.get(type(node).__name__, type(node).__name__)
