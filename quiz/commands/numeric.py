"""``quiz numeric``: scriptable access to the randomized numeric questions.

    quiz numeric list [--json]
    quiz numeric sample TEMPLATE [--seed S] [--count N] [--json]
    quiz numeric grade TEMPLATE --seed S --answer TEXT [--json]   (exit 0 right, 1 wrong,
                                                                    2 unparseable)

Every subcommand takes `--path DIR` (or `--bank DIR`, as `quiz check`): the bank; default: the
bundled one. A malformed bank or
template is reported as `quiz: error: file:line: …` with exit status 1, like every command;
`list` still lists the good templates and reports each bad one.

NumPy, the engine and the bank parser are imported inside :func:`run` so that ``quiz --help``
stays fast.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quiz.commands._args import positive_int

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.numeric import Instance, Solution, Template

__all__ = ["load_bank_templates", "register", "run"]

EXIT_RIGHT, EXIT_WRONG, EXIT_UNPARSEABLE = 0, 1, 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "numeric", help="randomized numeric questions: list, sample, grade",
        description="Numeric question templates: list them, sample instances, grade answers.")
    parser.set_defaults(handler=run)
    commands = parser.add_subparsers(dest="numeric_command", metavar="COMMAND", required=True)

    listing = commands.add_parser("list", help="templates with their family and parameters")
    listing.add_argument("--json", action="store_true", help="one JSON array")
    _bank_option(listing)

    sample = commands.add_parser("sample", help="instances of a template (with the expected "
                                                "value the engine measured)")
    sample.add_argument("template", help="template id, e.g. num-conv-out-square")
    sample.add_argument("--seed", type=int, default=None,
                        help="first seed (default: random); negative seeds are the fixed "
                             "instances (worked numbers of the sources)")
    sample.add_argument("--count", type=positive_int, default=1, help="instances (default 1)")
    sample.add_argument("--json", action="store_true", help="one JSON array")
    _bank_option(sample)

    grade = commands.add_parser("grade", help="grade an answer to one instance")
    grade.add_argument("template", help="template id")
    grade.add_argument("--seed", type=int, required=True, help="the instance's seed")
    grade.add_argument("--answer", required=True, help="the answer text, e.g. '1.2亿' or 56x56")
    grade.add_argument("--json", action="store_true", help="the verdict as JSON")
    _bank_option(grade)


def _bank_option(parser: argparse.ArgumentParser) -> None:
    # the same two spellings as `quiz check`
    parser.add_argument("--path", "--bank", dest="path", default=None, metavar="PATH",
                        help="bank directory (default: the bundled bank)")


EXIT_ERROR = 1  # a malformed bank or template, an unknown id: as in every quiz command


def run(args: argparse.Namespace) -> int:
    from quiz.bank.parser import load_bank
    from quiz.numeric import SamplingError, TemplateError, load_templates

    errors: list[TemplateError] = []
    templates = load_templates(load_bank(bank_dir(getattr(args, "path", None))), errors)
    try:
        if args.numeric_command == "list":
            status = _list(args, templates)
            for error in errors:
                _report(error)
            return EXIT_ERROR if errors else status
        broken = [error for error in errors if error.template == args.template]
        if broken and args.template not in templates:
            raise broken[0]
        handler = {"sample": _sample, "grade": _grade}[args.numeric_command]
        return handler(args, templates)
    except (TemplateError, SamplingError, LookupError) as error:
        _report(error)
        return EXIT_ERROR


def _report(error: Exception) -> None:
    message = error.args[0] if isinstance(error, LookupError) and error.args else error
    print(f"quiz: error: {message}", file=sys.stderr)


def bank_dir(path: str | None) -> Path:
    from quiz.paths import bundled_bank_dir

    return Path(path) if path else bundled_bank_dir()


def load_bank_templates(path: str | None) -> dict[str, Template]:
    from quiz.bank.parser import load_bank
    from quiz.numeric import load_templates

    return load_templates(load_bank(bank_dir(path)))


def find_template(templates: dict[str, Template], template_id: str) -> Template:
    if template_id not in templates:
        close = [t for t in templates if template_id in t] or sorted(templates)[:10]
        raise LookupError(f"no numeric template {template_id!r}; e.g. {', '.join(close)}")
    return templates[template_id]


def _list(args: argparse.Namespace, templates: dict[str, Template]) -> int:
    rows = [template.to_json() for template in templates.values()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for template in templates.values():
        params = ", ".join(template.param_names)
        print(f"{template.id:32s} {template.family:16s} {len(template.fixed)} fixed  "
              f"[{params}]  {template.title}")
    return 0


def _sample(args: argparse.Namespace, templates: dict[str, Template]) -> int:
    from quiz.numeric import instantiate, solve

    template = find_template(templates, args.template)
    first = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    rows = []
    for seed in range(first, first + args.count):
        instance = instantiate(template, seed)
        rows.append(instance_json(instance, solve(instance, eager=False)))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    from quiz.render.generated import output_width, plain_text

    for row in rows:
        print(f"# seed {row['seed']}" + (f"（{row['source']}）" if row["source"] else ""))
        print(plain_text(row["prompt"], output_width(sys.stdout)))  # the bank's renderer
        print(f"→ {row['expected_text']}\n")
    return 0


def instance_json(instance: Instance, solution: Solution) -> dict[str, Any]:
    from quiz.numeric.feedback import format_value
    from quiz.numeric.grading import json_value

    row = instance.to_json()
    row["expected"] = json_value(solution.expected)
    row["expected_text"] = format_value(solution.expected, instance)
    expected = solution.expected
    if not isinstance(expected, tuple) and getattr(expected, "denominator", 1) != 1:
        row["expected_fraction"] = str(expected)
    row["layers"] = {
        name: {
            "input_shape": list(run.input_shape), "output_shape": list(run.output_shape),
            "reports": [report.as_dict() for report in run.reports],
            **({"receptive_field": list(run.rf), "jump": list(run.jump)}
               if run.rf is not None and run.jump is not None else {}),
        }
        for name, run in solution.runs.items()
    }
    return row


def _grade(args: argparse.Namespace, templates: dict[str, Template]) -> int:
    from quiz.numeric import Status, grade, instantiate

    template = find_template(templates, args.template)
    instance = instantiate(template, args.seed)
    verdict = grade(instance, args.answer)
    if args.json:
        payload = {"template": template.id, "seed": args.seed, "answer": args.answer,
                   **verdict.to_json()}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        from quiz.numeric.feedback import verdict_parts
        from quiz.render.generated import print_verdict

        print_verdict(*verdict_parts(verdict.message, verdict.worked, label_shown=False),
                      sys.stdout)
    return {Status.RIGHT: EXIT_RIGHT, Status.WRONG: EXIT_WRONG}.get(
        verdict.status, EXIT_UNPARSEABLE)
