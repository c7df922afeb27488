"""Randomized numeric questions graded by running the engine's layers.

Public API (used by the TUI, the store integration and the CLI):
`load_templates`, `Template`, `instantiate`, `Instance`, `solve`, `Solution`, `grade`, `Verdict`,
`Status`, `parse_answer`, `ParsedAnswer`, `fixed_seeds`, `families`.
Importing this package loads neither NumPy nor the engine (they load when a net first runs), and
never Textual or SQLAlchemy.
"""

from quiz.numeric.answer import ParsedAnswer, parse_answer
from quiz.numeric.core import Instance, Solution, instantiate, load_templates, solve
from quiz.numeric.grading import Status, Verdict, grade
from quiz.numeric.mistakes import FAMILY_RECIPES, RECIPES
from quiz.numeric.sampler import SamplingError, fixed_seeds
from quiz.numeric.template import Template, TemplateError, parse_template

FAMILIES: dict[str, str] = {
    "conv-output": "卷积输出尺寸",
    "pool-output": "池化输出尺寸",
    "convT-output": "转置卷积输出尺寸",
    "params": "参数量",
    "macs": "计算量 MACs/FLOPs",
    "receptive-field": "感受野",
    "memory": "工作集内存",
    "small-kernels": "小卷积核堆叠 vs 大卷积核",
}


def families(templates: dict[str, Template]) -> dict[str, list[str]]:
    """Family name → template ids, in bank order."""
    grouped: dict[str, list[str]] = {}
    for template in templates.values():
        grouped.setdefault(template.family, []).append(template.id)
    return grouped


__all__ = [
    "FAMILIES", "FAMILY_RECIPES", "RECIPES", "Instance", "ParsedAnswer", "SamplingError",
    "Solution", "Status", "Template", "TemplateError", "Verdict", "families", "fixed_seeds",
    "grade", "instantiate", "load_templates", "parse_answer", "parse_template", "solve",
]
