"""Numeric templates: the ```template block of a `kind: numeric` bank question.

The format (documented in data/questions/README.md, "Numeric templates") is line based:
`key: value` lines, and sections (`params:`, `where:`, `net NAME:`, `data NAME:`, `prompt:`,
`fixed:`) whose content is the indented lines below them. A template never states the answer's
formula: the nets it describes are run by the engine, its data (boxes, detections, an RoI, …) is
computed by the engine's functions (quiz.engine.problem), and the asked quantity reads what the
engine measured.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from quiz.measure.quantities import QUANTITIES, UnknownQuantity
from quiz.numeric.expr import ExprError, Node, calls_in, names_in, parse_expr
from quiz.numeric.families import FAMILIES

MAX_DIGITS = 12  # parameters are layer sizes: a range bound beyond 10^12 is a typo
PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")
RANGE = re.compile(r"^(-?\d+)\s*\.\.\s*(-?\d+)(?:\s+step\s+(\d+))?$")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z_0-9]*)\}")
SCALAR_KEYS = frozenset({"family", "ask", "unit", "tolerance", "mistakes", "batch", "title"})
SECTION_KEYS = frozenset({"params", "where", "prompt", "fixed"})


class TemplateError(ValueError):
    """A malformed template; `line` is the bank file line and `file` the bank file when known
    (then the message reads `file:line: message`); `template` is its id."""

    def __init__(self, message: str, line: int = 0, file: str = "", template: str = "") -> None:
        self.message = message
        self.line = line
        self.file = file
        self.template = template  # the template's id, when known
        where = f"{file}:{line}: " if file and line else f"{file}: " if file else (
            f"line {line}: " if line else "")
        super().__init__(where + message)


@dataclass(frozen=True)
class ParamSpec:
    name: str
    # drawn uniformly; a range stays a lazy `range` (1..1000000000 allocates nothing)
    choices: Sequence[int | str] = ()
    derived: Node | None = None             # `name = expr`: a structural relation, not an answer
    text: str = ""


@dataclass(frozen=True)
class FixedInstance:
    """A worked number of a source, as an instance of the template (`label` is the source ID)."""

    label: str
    values: tuple[tuple[str, int | str], ...]


@dataclass(frozen=True)
class Template:
    id: str
    family: str
    title: str
    params: tuple[ParamSpec, ...]
    constraints: tuple[tuple[str, Node], ...]    # (text, expression) of each `where:` line
    nets: tuple[tuple[str, str], ...]       # (name, net text with {placeholders})
    ask: Node
    ask_text: str
    prompt: str
    unit: str = ""
    tolerance: Fraction = Fraction(1, 100)
    batch: str = ""                        # displayed batch size (placeholder allowed)
    mistakes: tuple[str, ...] | None = None
    fixed: tuple[FixedInstance, ...] = ()
    explanation: str = ""
    sources: tuple[str, ...] = ()
    file: str = ""
    line: int = 0
    constraint_lines: tuple[int, ...] = ()       # file line of each constraint
    data: tuple[tuple[str, str], ...] = ()  # (name, data text with {placeholders})

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.params)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id, "family": self.family, "title": self.title,
            "params": {
                spec.name: (list(spec.choices) if isinstance(spec.choices, tuple)
                            else spec.text)
                for spec in self.params
            },
            "constraints": [text for text, _ in self.constraints],
            "nets": {name: text for name, text in self.nets},
            **({"data": {name: text for name, text in self.data}} if self.data else {}),
            "ask": self.ask_text, "unit": self.unit, "tolerance": float(self.tolerance),
            "fixed": [{"source": f.label, "params": dict(f.values)} for f in self.fixed],
            "sources": list(self.sources),
        }


def parse_template(content: str, *, id: str, title: str = "", first_line: int = 1) -> Template:
    """Parse a template block's content; `first_line` is the file line of its first line."""
    scalars, sections = _split(content, first_line)
    for key in ("family", "ask"):
        if key not in scalars:
            raise TemplateError(f"template lacks required key {key!r}", first_line)
    nets = _named(sections, "net")
    data = _named(sections, "data")
    if not nets and not data:
        raise TemplateError("template needs at least one 'net:' or 'data:' section", first_line)
    names = [name for name, _ in nets + data]
    if len(set(names)) != len(names):
        raise TemplateError("a net and a data section share a name", first_line)
    params = _params(sections.get("params", []))
    ask_text, ask_line = scalars["ask"]
    ask = _expr(ask_text, ask_line)
    _check_ask(ask, ask_text, ask_line, {name for name, _ in nets},
               {name for name, _ in data})
    prompt_lines = sections.get("prompt", [])
    if not prompt_lines:
        raise TemplateError("template needs a 'prompt:' section", first_line)
    family, family_line = scalars["family"]
    if family not in FAMILIES:
        raise TemplateError(f"unknown family {family!r} (known: {', '.join(FAMILIES)})",
                            family_line)
    template = Template(
        id=id, family=family, title=title, params=params,
        constraints=tuple((text, _expr(text, line)) for text, line in sections.get("where", [])),
        constraint_lines=tuple(line for _, line in sections.get("where", [])),
        nets=nets, data=data, ask=ask, ask_text=ask_text,
        prompt="\n\n".join(t for t, _ in prompt_lines),
        unit=scalars.get("unit", ("", 0))[0],
        tolerance=_tolerance(*scalars.get("tolerance", ("1%", first_line))),
        batch=scalars.get("batch", ("", 0))[0],
        mistakes=_mistake_list(scalars.get("mistakes")),  # checked in _check_mistakes
        fixed=tuple(_fixed(text, line) for text, line in sections.get("fixed", [])),
        line=first_line,
    )
    _check_placeholders(template, sections, first_line)
    _check_mistakes(template.mistakes, scalars.get("mistakes", ("", first_line))[1])
    return template


def _split(
    content: str, first_line: int,
) -> tuple[dict[str, tuple[str, int]], dict[str, list[tuple[str, int]]]]:
    """Scalars (`key: value`) and sections (`key:` then indented lines), with file lines."""
    scalars: dict[str, tuple[str, int]] = {}
    sections: dict[str, list[tuple[str, int]]] = {}
    current: list[tuple[str, int]] | None = None
    indent: int | None = None
    for offset, raw in enumerate(content.splitlines()):
        line_no = first_line + offset
        if current is not None and (raw[:1] in {" ", "\t"} or not raw.strip()):
            if raw.strip():
                indent = indent if indent is not None else len(raw) - len(raw.lstrip())
                current.append((_strip_comment(raw[indent:] if raw[:indent].isspace()
                                               else raw.strip()), line_no))
            continue
        current, indent = None, None
        text = _strip_comment(raw).strip()
        if not text:
            continue
        key, sep, value = text.partition(":")
        key, value = key.strip(), value.strip()
        if not sep:
            raise TemplateError(f"expected 'key: value' or 'section:', got {text!r}", line_no)
        if key in SECTION_KEYS or key.partition(" ")[0] in {"net", "data"}:
            if value:
                raise TemplateError(f"section {key!r} takes indented lines below it", line_no)
            if key in sections:
                raise TemplateError(f"section {key!r} given twice", line_no)
            current = sections[key] = []
        elif key in SCALAR_KEYS:
            if key in scalars:
                raise TemplateError(f"key {key!r} given twice", line_no)
            scalars[key] = (value, line_no)
        else:
            known = ", ".join(sorted(SCALAR_KEYS | SECTION_KEYS | {"net NAME", "data NAME"}))
            raise TemplateError(f"unknown template key {key!r} (known: {known})", line_no)
    return scalars, {k: [(t.rstrip(), n) for t, n in v if t.strip()] for k, v in sections.items()}


def _strip_comment(text: str) -> str:
    """`#` starts a comment only after whitespace, so net lines keep `conv 64 k3` intact and
    source IDs like `003#17` survive."""
    match = re.search(r"(^|\s)#\s", text)
    return text[: match.start()].rstrip() if match else text.rstrip()


def _expr(text: str, line: int) -> Node:
    try:
        return parse_expr(text)
    except ExprError as error:
        raise TemplateError(str(error), line) from None


def _params(lines: list[tuple[str, int]]) -> tuple[ParamSpec, ...]:
    specs: list[ParamSpec] = []
    seen: set[str] = set()
    for text, line in lines:
        derived = "=" in text and ":" not in text.split("=", 1)[0]
        name, _, value = text.partition("=" if derived else ":")
        name, value = name.strip(), value.strip()
        if not PARAM_NAME.match(name):
            raise TemplateError(f"parameter name {name!r} must be an identifier", line)
        if name in seen:
            raise TemplateError(f"parameter {name!r} given twice", line)
        if derived:
            node = _expr(value, line)
            unknown = names_in(node) - seen
            if unknown:
                raise TemplateError(f"{name} uses {sorted(unknown)} before they are drawn", line)
            specs.append(ParamSpec(name=name, derived=node, text=value))
        else:
            specs.append(ParamSpec(name=name, choices=_choices(value, line), text=value))
        seen.add(name)
    return tuple(specs)


def _choices(value: str, line: int) -> Sequence[int | str]:
    match = RANGE.match(value)
    if match:
        if any(len(group.lstrip("-")) > MAX_DIGITS for group in match.groups() if group):
            raise TemplateError(f"range {value!r}: numbers have at most {MAX_DIGITS} digits",
                                line)
        low, high, step = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
        if high < low or step < 1:
            raise TemplateError(f"empty range {value!r}", line)
        return range(low, high + 1, step)
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise TemplateError("a parameter needs a range 'a..b' or choices 'a, b, c'", line)
    return tuple(_scalar(item) for item in items)


def _scalar(text: str) -> int | str:
    return int(text) if re.fullmatch(rf"-?\d{{1,{MAX_DIGITS}}}", text) else text


def _tolerance(text: str, line: int) -> Fraction:
    try:
        value = Fraction(text[:-1].strip()) / 100 if text.endswith("%") else Fraction(text)
    except ValueError:
        raise TemplateError(f"tolerance must be like '1%' or '0.01', got {text!r}", line) from None
    if value < 0 or value >= 1:
        raise TemplateError("tolerance must be between 0 and 100%", line)
    return value


def _mistake_list(entry: tuple[str, int] | None) -> tuple[str, ...] | None:
    """`mistakes: a, b` restricts the family's recipes; `mistakes: none` disables them."""
    if entry is None:
        return None
    items = tuple(item.strip() for item in entry[0].split(",") if item.strip())
    return () if items == ("none",) else items


def _check_mistakes(mistakes: tuple[str, ...] | None, line: int) -> None:
    from quiz.numeric.mistakes import RECIPES  # recipes import engine specs only: no cycle

    for recipe_id in mistakes or ():
        if recipe_id not in RECIPES:
            known = ", ".join(sorted(RECIPES))
            raise TemplateError(f"unknown mistake {recipe_id!r} (known: {known})", line)


def _fixed(text: str, line: int) -> FixedInstance:
    label, sep, rest = text.partition(":")
    if not sep:
        raise TemplateError("a fixed instance is 'SOURCE: name=value, ...'", line)
    values: list[tuple[str, int | str]] = []
    for item in rest.split(","):
        name, eq, value = item.partition("=")
        if not eq or not PARAM_NAME.match(name.strip()):
            raise TemplateError(f"fixed value must be 'name=value', got {item.strip()!r}", line)
        values.append((name.strip(), _scalar(value.strip())))
    return FixedInstance(label=label.strip(), values=tuple(values))


def _named(sections: dict[str, list[tuple[str, int]]], kind: str) -> tuple[tuple[str, str], ...]:
    """The `net NAME:` (or `data NAME:`) sections as (name, text); a bare `net:` is "net"."""
    return tuple((key.partition(" ")[2].strip() or kind, "\n".join(text for text, _ in lines))
                 for key, lines in sections.items() if key.partition(" ")[0] == kind)


def _check_ask(ask: Node, text: str, line: int, nets: set[str], data: set[str]) -> None:
    for name in sorted(calls_in(ask)):
        if name not in QUANTITIES:
            raise TemplateError(f"ask {text!r}: {UnknownQuantity(name)}", line)
    unknown = names_in(ask) - nets - data
    if unknown:
        raise TemplateError(f"ask {text!r} names {sorted(unknown)}, which are not nets or data",
                            line)
    for node in _calls(ask):
        function, args = node.args
        arg_names = {arg.args[0] for arg in args if arg.op == "name"}
        from_data = QUANTITIES[function].data
        wrong = arg_names - (data if from_data else nets)
        if wrong:
            want = "a 'data' section" if from_data else "a net"
            raise TemplateError(f"ask {text!r}: {function}() reads {want}, not "
                                f"{', '.join(sorted(wrong))}", line)


def _calls(node: Node) -> list[Node]:
    found = [node] if node.op == "call" else []
    for arg in node.args:
        for item in arg if isinstance(arg, tuple) else (arg,):
            if isinstance(item, Node):
                found.extend(_calls(item))
    return found


def _check_placeholders(
    template: Template, sections: dict[str, list[tuple[str, int]]], line: int,
) -> None:
    names = set(template.param_names)
    texts = [template.prompt, template.batch,
             *(text for _, text in template.nets + template.data)]
    for text in texts:
        for placeholder in PLACEHOLDER.findall(text):
            if placeholder not in names:
                raise TemplateError(f"{{{placeholder}}} is not a parameter", line)
    for constraint_text, node in template.constraints:
        unknown = names_in(node) - names
        if unknown:
            raise TemplateError(f"constraint {constraint_text!r} names unknown {sorted(unknown)}",
                                line)
    for fixed in template.fixed:
        drawn = {spec.name for spec in template.params if spec.derived is None}
        given = {name for name, _ in fixed.values}
        if given - names:
            raise TemplateError(f"fixed {fixed.label} sets unknown {sorted(given - names)}", line)
        if drawn - given:
            raise TemplateError(f"fixed {fixed.label} lacks {sorted(drawn - given)}", line)


def substitute(text: str, values: dict[str, int | str]) -> str:
    """Fill `{name}` placeholders (plain substitution: no format specs, no attribute access)."""
    return PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), text)
