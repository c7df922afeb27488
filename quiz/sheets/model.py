"""Plain data of a practice sheet: what every writer renders and the checker reads back."""

from __future__ import annotations

from dataclasses import dataclass

CONCEPT, NUMERIC = "concept", "numeric"

# The ranges quiz writes, which the sheet reader holds what it reads to (quiz.sheets.reader,
# quiz.sheets.meta): a number outside them was not printed by quiz, and refusing it before int()
# also spares int() a hand-typed number of thousands of digits.
SEED_LIMIT = 2**31      # class seeds and numeric items' seeds: 0 <= seed < SEED_LIMIT
# The largest class one command makes (--students, roster lines): a typo like --students 100000
# would make sheets for many minutes (and HTML and PDF hold the whole class in memory).
MAX_STUDENTS = 1000
MAX_ITEMS = 10_000      # questions on one sheet (--count)


@dataclass(frozen=True)
class SheetItem:
    """One numbered question of a sheet, with what its key shows."""

    number: int
    question_id: str
    kind: str                     # CONCEPT or NUMERIC
    prompt: str                   # the question (concept) or the instance's prompt (numeric)
    answer: str                   # key: the expected value with its unit, or the reference answer
    sources: tuple[str, ...]
    topic: str
    seed: int | None = None       # numeric: the instance's seed
    answer_plain: str = ""        # numeric: the expected value as it would be written (gradeable)
    worked: str = ""              # numeric: the worked solution (Markdown)
    # numeric: the instance's parameters as drawn, so that `quiz check` grades this very instance
    # even after the bank's template changed (quiz.sheets.meta)
    params: tuple[tuple[str, int | str], ...] = ()
    # numeric: the (name, net text) pairs the engine ran, so a key can draw the layer's geometry
    nets: tuple[tuple[str, str], ...] = ()
    family: str = ""              # numeric: the template's family (receptive-field keys draw it)


@dataclass(frozen=True)
class Sheet:
    """One student's sheet. The question choice follows from `seed`; every numeric instance from
    (`seed`, `student_number`, question id), so the sheet and its key can be made again."""

    title: str
    date: str
    seed: int
    student_number: int
    class_size: int
    student_name: str
    command: str                  # the `quiz sheet …` command line that makes it again
    items: tuple[SheetItem, ...]
    student_key: str = ""         # stable roster key (the name when the roster gives none)
    class_id: str = ""            # one class = one seed and one command (quiz.sheets.meta)

    @property
    def student_label(self) -> str:
        if self.student_name:
            return f"{self.student_name}（{self.student_number}/{self.class_size}）"
        return f"{self.student_number}/{self.class_size}"
