"""A tiny, safe expression language for template constraints and asked quantities.

Templates are data: nothing in them is passed to `eval`/`exec`. Constraints (`Cin % g == 0`),
derived structural parameters (`Cmid = Cin / 4`) and the asked quantity (`macs(dws) / macs(std)`)
are parsed here into a small tree and evaluated against a dict of names and a dict of functions.
Numbers are exact `Fraction`s, so ratios of counts stay exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<str>'[^']*'|\"[^\"]*\")"
    r"|(?P<op>//|\*\*|==|!=|<=|>=|[-+*/%<>(),]))"
)
COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}
# Bounds that keep a template from freezing the program: every value stays within MAX_BITS
# bits (numerator and denominator), an expression is at most MAX_LENGTH characters and nests
# at most MAX_DEPTH levels. Layer sizes and counts need far less.
MAX_BITS = 256
MAX_LENGTH = 500
MAX_DEPTH = 40
KEYWORDS = {"and", "or", "not"}
# what a typed answer may use when written as arithmetic (`1/128 + 1/9`, `2**(10)`)
ARITHMETIC_OPS = frozenset({"+", "-", "*", "/", "**"})


class ExprError(ValueError):
    """An expression that cannot be parsed or evaluated (message says why)."""


@dataclass(frozen=True)
class Node:
    op: str                      # num, str, name, call, bin, neg, not, and, or, cmp
    args: tuple[Any, ...]


def parse_expr(text: str) -> Node:
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    tokens = _tokenize(text)
    parser = _Parser(tokens, text)
    node = parser.expr()
    if parser.pos != len(tokens):
        raise ExprError(f"unexpected {tokens[parser.pos][1]!r} in {text!r}")
    return node


def evaluate_arithmetic(text: str) -> Fraction:
    """A number written as arithmetic, as a learner types it: numbers, `+ - * / **`, parentheses
    and unary minus only. Names, calls, comparisons, `//` and `%` are refused (ExprError), so an
    answer can never reach a template's functions; the result is exact."""
    node = parse_expr(text)
    _require_arithmetic(node)
    return Fraction(evaluate(node, {}))


def _require_arithmetic(node: Node) -> None:
    if node.op == "num":
        return
    if node.op == "neg":
        _require_arithmetic(node.args[0])
        return
    if node.op == "bin" and node.args[0] in ARITHMETIC_OPS:
        _require_arithmetic(node.args[1])
        _require_arithmetic(node.args[2])
        return
    raise ExprError("only numbers, + - * / ** and parentheses are allowed")


def names_in(node: Node) -> set[str]:
    """Every free name the expression reads (function names excluded)."""
    if node.op == "name":
        return {node.args[0]}
    found: set[str] = set()
    for arg in node.args:
        if isinstance(arg, Node):
            found |= names_in(arg)
        elif isinstance(arg, tuple):
            for item in arg:
                if isinstance(item, Node):
                    found |= names_in(item)
    return found


def calls_in(node: Node) -> set[str]:
    found = {node.args[0]} if node.op == "call" else set()
    for arg in node.args:
        items = arg if isinstance(arg, tuple) else (arg,)
        for item in items:
            if isinstance(item, Node):
                found |= calls_in(item)
    return found


def evaluate(
    node: Node, env: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    functions = functions or {}
    op, args = node.op, node.args
    if op in {"num", "str"}:
        return args[0]
    if op == "name":
        if args[0] not in env:
            raise ExprError(f"unknown name {args[0]!r}")
        return _number_or_value(env[args[0]])
    if op == "call":
        name, call_args = args
        if name not in functions:
            raise ExprError(f"unknown function {name!r}")
        return functions[name](*(evaluate(arg, env, functions) for arg in call_args))
    if op == "neg":
        return -evaluate(args[0], env, functions)
    if op == "not":
        return not evaluate(args[0], env, functions)
    if op == "and":
        return bool(evaluate(args[0], env, functions)) and bool(evaluate(args[1], env, functions))
    if op == "or":
        return bool(evaluate(args[0], env, functions)) or bool(evaluate(args[1], env, functions))
    if op == "cmp":
        return _compare(args, env, functions)
    return _binary(args[0], evaluate(args[1], env, functions), evaluate(args[2], env, functions))


def _number_or_value(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Fraction(value)
    return value


def _compare(args: tuple[Any, ...], env: Mapping[str, Any], functions: Mapping[str, Any]) -> bool:
    ops, operands = args
    values = [evaluate(operand, env, functions) for operand in operands]
    return all(_COMPARE[op](left, right)
               for op, left, right in zip(ops, values, values[1:], strict=False))


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def _binary(op: str, left: Any, right: Any) -> Any:
    return _bounded(_arithmetic(op, left, right))


def _bounded(value: Any) -> Any:
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        fraction = Fraction(value)
        if max(fraction.numerator.bit_length(), fraction.denominator.bit_length()) > MAX_BITS:
            raise ExprError(f"value too large (more than {MAX_BITS} bits)")
    return value


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    if op in {"/", "//", "%"} and right == 0:
        raise ExprError(f"division by zero ({op})")
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return Fraction(left) / Fraction(right)
    if op == "//":
        return Fraction(left // right)
    if op == "%":
        return left % right
    if op == "**":
        if not isinstance(right, Fraction) or right.denominator != 1 or abs(right) > 64:
            raise ExprError("exponent must be a small integer")
        base_bits = Fraction(left).numerator.bit_length() if isinstance(left, (int, Fraction)) \
            else 0
        if base_bits * abs(int(right)) > MAX_BITS + 64:
            raise ExprError(f"value too large (more than {MAX_BITS} bits)")  # before computing
        return left ** int(right)
    raise ExprError(f"unknown operator {op!r}")


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = TOKEN.match(stripped, position)
        if not match or match.end() == position:
            raise ExprError(f"cannot read {stripped[position:]!r} in {text!r}")
        position = match.end()
        kind = match.lastgroup
        value = match.group(kind) if kind else ""
        if kind == "num":
            if len(value) > 40:
                raise ExprError(f"number {value[:20]}… is too long")
            tokens.append(("num", Fraction(value)))
        elif kind == "str":
            tokens.append(("str", value[1:-1]))
        elif kind == "name" and value in KEYWORDS:
            tokens.append(("op", value))
        elif kind is not None:
            tokens.append((kind, value))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take_op(self, *ops: str) -> str | None:
        token = self.peek()
        if token and token[0] == "op" and token[1] in ops:
            self.pos += 1
            return str(token[1])
        return None

    def expect(self, op: str) -> None:
        if not self.take_op(op):
            raise ExprError(f"expected {op!r} in {self.text!r}")

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested more than {MAX_DEPTH} levels deep")
        try:
            return self._disjunction()
        finally:
            self.depth -= 1

    def _disjunction(self) -> Node:
        node = self.conjunction()
        while self.take_op("or"):
            node = Node("or", (node, self.conjunction()))
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.take_op("and"):
            node = Node("and", (node, self.negation()))
        return node

    def negation(self) -> Node:
        if self.take_op("not"):
            return Node("not", (self.negation(),))
        return self.comparison()

    def comparison(self) -> Node:
        operands, ops = [self.sum()], []
        while (op := self.take_op(*COMPARISONS)) is not None:
            ops.append(op)
            operands.append(self.sum())
        return operands[0] if not ops else Node("cmp", (tuple(ops), tuple(operands)))

    def sum(self) -> Node:
        node = self.term()
        while (op := self.take_op("+", "-")) is not None:
            node = Node("bin", (op, node, self.term()))
        return node

    def term(self) -> Node:
        node = self.unary()
        while (op := self.take_op("*", "/", "//", "%")) is not None:
            node = Node("bin", (op, node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.take_op("-"):
            return Node("neg", (self.unary(),))
        node = self.atom()
        if self.take_op("**"):
            return Node("bin", ("**", node, self.unary()))
        return node

    def atom(self) -> Node:
        token = self.peek()
        if token is None:
            raise ExprError(f"unexpected end of {self.text!r}")
        kind, value = token
        self.pos += 1
        if kind in {"num", "str"}:
            return Node(kind, (value,))
        if kind == "name":
            if self.take_op("("):
                return Node("call", (value, self._call_args()))
            return Node("name", (value,))
        if kind == "op" and value == "(":
            node = self.expr()
            self.expect(")")
            return node
        raise ExprError(f"unexpected {value!r} in {self.text!r}")

    def _call_args(self) -> tuple[Node, ...]:
        args: list[Node] = []
        if self.take_op(")"):
            return ()
        while True:
            args.append(self.expr())
            if self.take_op(")"):
                return tuple(args)
            self.expect(",")
