"""quiz at scale: a generated bank of 100,000 questions and a log of 1,000,000 reviews.

Builds, in a temporary folder, a bank in the real Markdown format (many files and decks, mostly
concept questions and a few numeric templates), imports it with `quiz import` in a child process,
then inserts the reviews directly (executemany) with realistic card states — reviews over a year,
most cards in review, some learning or relearning, some due, a few suspended, buried, flagged,
crammed or undone — and times every figure of issue 10's "Scale" goals.

Every figure is printed beside the same figure on a small bank built and measured the same way
in the same run (`--baseline-questions`, reviews in the same proportion), so the ratio shows how
it grows with the data; `SELECT count(*)` over the reviews and cards is printed as a floor for
the query times, and a bare `python -c pass` / a minimal Textual app for the processes.

With `--db URL` of a PostgreSQL server (postgresql+psycopg://…) the same figures are measured
there: each bank size gets a schema of its own on that database, dropped at the end.

Run: python bench/scale.py [--questions 100000] [--reviews 1000000] [--baseline-questions 1000]
                           [--db postgresql+psycopg://user@host/dbname]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from startup import CHILD_ENV, MINIMAL_APP, QUIZ_CLI, QUIZ_HOME

MIB = 1024 * 1024
QUESTIONS_PER_FILE = 500
DECKS = 40
NUMERIC_EVERY = 200  # one numeric template per this many questions
RUNS = 5
NOW = datetime.now(timezone.utc)

WORDS = ("卷积", "池化", "感受野", "批归一化", "残差", "注意力", "梯度", "激活函数", "步长", "填充",
         "通道", "参数量", "计算量", "dropout", "ReLU", "softmax", "padding", "stride", "kernel",
         "feature map", "权值共享", "下采样", "上采样", "空洞卷积", "深度可分离")
SOURCES = [f"00{doc}#{n}" for doc in range(5) for n in range(1, 60)]

TEMPLATE = """```template
family: conv-output
ask: output_hw(net)
tolerance: 0
params:
  H: 14..231
  C: 1, 3
  N: 8, 16
  k: 1, 3, 5, 7
  s: 1, 2
  p: 0..3
where:
  2 * p <= k
  s <= k
net:
  input {C}x{H}x{H}
  conv {N} k{k} s{s} p{p}
prompt:
  输入特征图大小为 {H}×{H}（{C} 通道），经过 {N} 个 {k}×{k} 卷积核，stride = {s}，padding = {p}。
  输出特征图的高×宽是多少？
```"""


# The bank ---------------------------------------------------------------------------------------

def _answer(rng: random.Random, number: int) -> str:
    words = rng.sample(WORDS, 6)
    bullets = "\n".join(
        f"- **{word}**：第 {number} 题的第 {i + 1} 个要点，与{rng.choice(WORDS)}有关，"
        f"常见于面试追问；公式 $H_{{out}} = \\lfloor (H + 2p - k)/s \\rfloor + 1$ 只在这里举例。"
        for i, word in enumerate(words[1:])
    )
    text = f"**核心**：{words[0]}的作用是第 {number} 个要点的一句话总结。\n\n{bullets}\n"
    if rng.random() < 0.05:
        text += f"\n> 勘误 {rng.choice(SOURCES)}：原文第 {number} 处的说法有误，应为正文所述。\n"
    return text


def _question(rng: random.Random, number: int, deck: int) -> str:
    numeric = number % NUMERIC_EVERY == NUMERIC_EVERY - 1
    sources = ", ".join(rng.sample(SOURCES, rng.randint(1, 3)))
    meta = (f"```meta\nid: q{number:06d}\nsources: {sources}\n"
            f"tags: 主题{deck:02d}, {rng.choice(WORDS)}\n"
            f"kind: {'numeric' if numeric else 'concept'}\n"
            f"difficulty: {rng.randint(1, 3)}\n```\n")
    if numeric:
        body = f"先加两侧填充，减去核大小，按步长向下取整再加一（第 {number} 题）。\n\n{TEMPLATE}\n"
    else:
        body = _answer(rng, number)
    title = f"第 {number} 题：{rng.choice(WORDS)}与{rng.choice(WORDS)}有什么关系？"
    return f"## {title}\n\n{meta}\n{body}\n"


def write_bank(folder: Path, questions: int, seed: int = 1) -> None:
    """`questions` questions in files of QUESTIONS_PER_FILE, decks spread over the files."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for start in range(0, questions, QUESTIONS_PER_FILE):
        file_index = start // QUESTIONS_PER_FILE
        numbers = range(start, min(start + QUESTIONS_PER_FILE, questions))
        parts = [f"# 主题文件 {file_index}\n"]
        parts += [_question(rng, n, (n // 50) % DECKS) for n in numbers]
        (folder / f"topic-{file_index:04d}.md").write_text("\n".join(parts), encoding="utf-8")


# The review log ---------------------------------------------------------------------------------

def _stamp(moment: datetime) -> datetime:
    """A moment as the store binds it (UTC; SQLAlchemy writes it for each database)."""
    return moment.astimezone(timezone.utc)


@dataclass
class _Card:
    state: int = 0
    stability: float = 0.0
    difficulty: float = 5.0
    due: datetime = NOW
    last: datetime | None = None
    lapses: int = 0
    extra: dict[str, object] = field(default_factory=dict)


def _snapshot(card: _Card) -> dict[str, object]:
    return {
        "state": card.state or 1, "step": 0 if card.state in (1, 3) else None,
        "stability": card.stability or None, "difficulty": card.difficulty,
        "due": card.due.isoformat(), "last_review": card.last.isoformat() if card.last else None,
        "lapses": card.lapses, "leech": False, "suspended": False, "buried_until": None,
        "flagged": False,
    }


REVIEW_COLUMNS = ("id", "question_id", "reviewed_at", "rating", "duration_ms", "content_hash",
                  "state_after", "stability_after", "difficulty_after", "due_after", "kind",
                  "undoes", "state_before", "card_before")
CARD_COLUMNS = ("state", "stability", "difficulty", "due", "last_review", "lapses", "leech",
                "suspended", "buried_until", "flagged", "question_id")


def fill_reviews(url: str, reviews: int, seed: int = 2) -> None:
    """Append `reviews` reviews over the past year to 70% of the cards and set the cards' states
    to what the last review left; a few ratings are crammed or undone. Written in bulk with the
    log's triggers off, then the derived totals rebuilt, as a history import of that size would
    be (the figures measured are the queries', not this fill's)."""
    from sqlalchemy import bindparam, create_engine, insert, update

    from quiz.store import derived
    from quiz.store.models import CardRow, ReviewRow
    from quiz.store.tables import DEFAULT_LEARNER_ID

    rng = random.Random(seed)
    engine = create_engine(url)
    with engine.connect() as connection:
        ids = [row[0] for row in connection.exec_driver_sql(
            "SELECT id FROM questions WHERE retired_at IS NULL ORDER BY id")]
        first_id = 1 + (connection.exec_driver_sql("SELECT max(id) FROM reviews").scalar() or 0)
    seen = rng.sample(ids, int(len(ids) * 0.7))
    per_card = [reviews // len(seen)] * len(seen)
    for index in range(reviews - sum(per_card)):
        per_card[index] += 1
    rows: list[tuple[object, ...]] = []
    cards: list[tuple[object, ...]] = []
    next_id = first_id
    for question_id, count in zip(seen, per_card, strict=True):
        card = _Card()
        # More recent days are busier: the learner's history grew over the year.
        moments = sorted(NOW - timedelta(days=365 * rng.random() ** 1.5, seconds=rng.random())
                         for _ in range(count))
        for moment in moments:
            before = card.state if card.last else 0
            snapshot = _snapshot(card)
            rating = rng.choices((1, 2, 3, 4), weights=(10, 15, 65, 10))[0]
            crammed = rng.random() < 0.01
            if not crammed:
                if rating == 1:
                    card.lapses += before == 2
                    card.state, card.stability = (3 if before == 2 else 1), 1.0
                    card.due = moment + timedelta(minutes=10)
                else:
                    card.state = 2
                    card.stability = min(max(card.stability, 1.0) * (1.5 + rating / 2), 400.0)
                    card.due = moment + timedelta(days=card.stability)
                card.last = moment
            rows.append((next_id, question_id, _stamp(moment), rating, rng.randint(2000, 40000),
                         "hash", card.state or 1, card.stability or None, card.difficulty,
                         _stamp(card.due), "cram" if crammed else "review", None, before,
                         snapshot))
            next_id += 1
            if rng.random() < 0.005:  # taken back at once; the card state stays as it was
                # As quiz writes one: the state it restored, and no snapshot (SQL NULL).
                rows.append((next_id, question_id, _stamp(moment + timedelta(seconds=3)), 0,
                             None, "hash", snapshot["state"], card.stability, card.difficulty,
                             _stamp(card.due), "undo", next_id - 1, None, None))
                next_id += 1
        roll = rng.random()
        buried = _stamp(NOW + timedelta(hours=5)) if 0.01 <= roll < 0.015 else None
        cards.append((card.state, card.stability, card.difficulty, _stamp(card.due),
                      _stamp(card.last) if card.last else None, card.lapses, card.lapses >= 8,
                      roll < 0.01, buried, 0.015 <= roll < 0.025, question_id))
    assert first_id
    with engine.begin() as connection:
        triggers = derived.wanted_objects(connection.dialect.name)
        on = "" if connection.dialect.name == "sqlite" else " ON reviews"
        for name in triggers:
            if name.startswith("card_review_totals_"):
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}{on}")
        for start in range(0, len(rows), 50_000):
            batch = [{**dict(zip(REVIEW_COLUMNS, row, strict=True)),
                      "learner_id": DEFAULT_LEARNER_ID} for row in rows[start:start + 50_000]]
            # A JSON column given None stores the JSON text 'null'; left out, it is SQL NULL.
            for with_snapshot in (True, False):
                part = [row if with_snapshot else {k: v for k, v in row.items()
                                                   if k != "card_before"}
                        for row in batch if (row["card_before"] is not None) == with_snapshot]
                if part:
                    connection.execute(insert(ReviewRow.__table__), part)
        table = CardRow.__table__
        connection.execute(
            update(table).where(table.c.question_id == bindparam("card_id"))
            .values({name: bindparam(f"v_{name}") for name in CARD_COLUMNS[:-1]}),
            [{"card_id": card[-1], **{f"v_{name}": value for name, value
                                      in zip(CARD_COLUMNS[:-1], card[:-1], strict=True)}}
             for card in cards])
        derived.rebuild_log(connection)
        derived.rebuild_decks(connection)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT setval(pg_get_serial_sequence('reviews', 'id'), "
                                       "(SELECT max(id) FROM reviews))")
    # Statistics for the planner; on PostgreSQL also the visibility map (VACUUM), which its
    # autovacuum sets within a minute of a bulk write like this one: counts over index ranges
    # read the heap for every row until then (stats at 100k: 3.5 s before, 0.4 s after).
    command = "ANALYZE" if engine.dialect.name == "sqlite" else "VACUUM ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(command)
    engine.dispose()


def imported_bank(folder: Path, questions: int) -> str:
    """A generated bank of `questions` written to folder/bank and imported with `quiz import`
    into folder/quiz.db (not timed: for benchmarks of what comes after); the database's URL."""
    write_bank(folder / "bank", questions)
    url = f"sqlite:///{folder / 'quiz.db'}"
    subprocess.run([sys.executable, "-m", "quiz", "--db", url, "import", str(folder / "bank")],
                   check=True, stdout=subprocess.DEVNULL)
    return url


# Measuring --------------------------------------------------------------------------------------

def run_child(command: Sequence[str]) -> tuple[float, float]:
    """Wall time and peak resident memory (MiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=CHILD_ENV)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode() if process.stderr else ""
    if process.returncode:
        raise SystemExit(f"{' '.join(command[:4])}… failed:\n{error}")
    # ru_maxrss is in KiB on Linux.
    return elapsed, usage.ru_maxrss / 1024


def median_child(command: Sequence[str], runs: int = 3) -> float:
    run_child(command)  # warm the file cache
    return statistics.median(run_child(command)[0] for _ in range(runs))


def median_call(call: Callable[[], object], runs: int = RUNS) -> float:
    call()  # warm SQLite's page cache and SQLAlchemy's statement cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def quiz(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "quiz", "--db", url, *args]


class _Figures(dict[str, float]):
    """Prints each figure as it is measured, so a long run shows where it is."""

    def __setitem__(self, name: str, value: float) -> None:
        print(f"  {name}: {value:.4f}", file=sys.stderr, flush=True)
        super().__setitem__(name, value)


def measure(folder: Path, url: str, questions: int, reviews: int) -> dict[str, float]:
    """Every figure for one bank size: seconds, and MiB for memory."""
    from quiz.store.actions import apply_review
    from quiz.store.counts import due_cards, due_counts, home_figures
    from quiz.store.db import open_database
    from quiz.store.scheduling import Grade
    from quiz.store.search import PAGE, decks, search
    from quiz.store.settings import load_settings
    from quiz.store.stats import study_stats
    from quiz.tui.context import scheduler_for

    bank = folder / "bank"
    figures = _Figures()
    figures["postgresql"] = float(url.startswith("postgresql"))
    print(f"{questions:,} questions, {reviews:,} reviews:", file=sys.stderr, flush=True)
    # --keep of an earlier run (SQLite): the queries again, on the same data.
    if (folder / "quiz.db").exists():
        for name in ("first import s", "first import MiB", "re-import s", "re-import MiB",
                     "re-import, 1 file edited s"):
            figures[name] = float("nan")
    else:
        write_bank(bank, questions)
        # The bundled bank first, as `quiz` gives it on a first start: the TUI syncs it on
        # every start.
        run_child([sys.executable, "-c", QUIZ_HOME, url])
        seconds, mib = run_child(quiz(url, "import", str(bank)))
        figures["first import s"], figures["first import MiB"] = seconds, mib
        seconds, mib = run_child(quiz(url, "import", str(bank)))
        figures["re-import s"], figures["re-import MiB"] = seconds, mib
        edited = sorted(bank.glob("*.md"))[len(list(bank.glob("*.md"))) // 2]
        edited.write_text(edited.read_text(encoding="utf-8").replace("核心", "要点", 1),
                          encoding="utf-8")
        figures["re-import, 1 file edited s"] = run_child(quiz(url, "import", str(bank)))[0]
        fill_reviews(url, reviews)
    figures["quiz due process s"] = median_child(quiz(url, "due"))
    # As `quiz` starts (its daily backup included).
    figures["TUI home painted s"] = median_child([sys.executable, "-c", QUIZ_CLI, url])

    db = open_database(url)
    settings = load_settings(db)
    now = datetime.now(timezone.utc)
    with db.engine.connect() as connection:
        def count(table: str) -> Callable[[], object]:
            return lambda: connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
        figures["SELECT count(*) reviews s"] = median_call(count("reviews"))
        figures["SELECT count(*) cards s"] = median_call(count("cards"))
    figures["quiz due query s"] = median_call(
        lambda: (due_counts(db, now, settings), due_cards(db, now, limit=20)))
    # What home runs: the queue's counts and every deck's row, in one pass.
    figures["home counts s"] = median_call(lambda: home_figures(db, now, settings))
    figures["browse first page s"] = median_call(
        lambda: (decks(db), search(db, "", now, limit=PAGE)))
    figures["search a word s"] = median_call(lambda: search(db, "感受野", now, limit=PAGE))
    figures["stats s"] = median_call(lambda: study_stats(db, now, settings))
    due = [item.id for item in due_cards(db, now, limit=RUNS + 1)]
    scheduler = scheduler_for(settings, fuzz=False)
    ratings = iter(due)
    figures["rating s"] = median_call(
        lambda: apply_review(db, scheduler, next(ratings), Grade.GOOD, now, settings=settings),
        runs=min(RUNS, len(due) - 1))
    db.close()
    figures["python -c pass s"] = median_child([sys.executable, "-c", "pass"])
    figures["minimal Textual app s"] = median_child([sys.executable, "-c", MINIMAL_APP])
    return figures


# (figure, unit, goal as text, goal check, floor figure for the "× floor" column)
ROWS: list[tuple[str, str, str, Callable[[dict[str, float]], bool] | None, str | None]] = [
    ("first import s", "s", "< 20 s (PostgreSQL: < 30 s)",
     lambda f: f["first import s"] < (30 if f.get("postgresql") else 20), "python -c pass s"),
    ("first import MiB", "MiB", "< 300 MiB", lambda f: f["first import MiB"] < 300, None),
    ("re-import s", "s", "≥ 10× faster than first",
     lambda f: f["first import s"] >= 10 * f["re-import s"], "first import s"),
    ("re-import MiB", "MiB", "", None, None),
    ("re-import, 1 file edited s", "s", "", None, "first import s"),
    ("quiz due process s", "s", "", None, "python -c pass s"),
    ("quiz due query s", "ms", "a few ms", lambda f: f["quiz due query s"] < 0.01,
     "SELECT count(*) cards s"),
    ("home counts s", "ms", "a few ms", lambda f: f["home counts s"] < 0.01,
     "SELECT count(*) cards s"),
    ("rating s", "ms", "a few ms", lambda f: f["rating s"] < 0.01, "SELECT count(*) cards s"),
    ("TUI home painted s", "s", "< 1 s", lambda f: f["TUI home painted s"] < 1,
     "minimal Textual app s"),
    ("browse first page s", "s", "< 0.3 s", lambda f: f["browse first page s"] < 0.3,
     "SELECT count(*) cards s"),
    ("search a word s", "s", "", None, "SELECT count(*) cards s"),
    ("stats s", "s", "< 1 s", lambda f: f["stats s"] < 1, "SELECT count(*) reviews s"),
    ("SELECT count(*) reviews s", "ms", "(floor)", None, None),
    ("SELECT count(*) cards s", "ms", "(floor)", None, None),
]


def _show(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value * 1000:.2f} ms"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def report(big: dict[str, float], small: dict[str, float], sizes: tuple[int, int, int, int],
           where: str) -> None:
    questions, reviews, small_q, small_r = sizes
    print(f"\n{where}: {questions:,} questions, {reviews:,} reviews; small bank: {small_q:,} "
          f"questions, {small_r:,} reviews (both in this run)\n")
    header = (f"{'figure':<26} {'at scale':>11} {'small bank':>11} {'× small':>8} "
              f"{'× floor':>8}  {'floor':<24} {'goal':<27} ok")
    print(header)
    print("-" * len(header))
    for name, unit, goal, check, floor in ROWS:
        ratio = big[name] / small[name] if small[name] else float("inf")
        floor_ratio = f"{big[name] / big[floor]:8.1f}" if floor and big[floor] else " " * 8
        verdict = "" if check is None else ("yes" if check(big) else "NO")
        label = name.removesuffix(" s").removesuffix(" MiB")
        print(f"{label:<26} {_show(big[name], unit):>11} {_show(small[name], unit):>11} "
              f"{ratio:8.1f} {floor_ratio}  {(floor or '').removesuffix(' s'):<24} "
              f"{goal:<27} {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--baseline-questions", type=int, default=1_000)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build in this folder and keep it; given a folder kept before, "
                             "measure the queries again on its data (imports not re-run)")
    parser.add_argument("--db", default=None, metavar="URL",
                        help="a PostgreSQL database to measure on (a schema per bank size, "
                             "dropped at the end); default: SQLite files in the folder")
    args = parser.parse_args()
    small_reviews = args.reviews * args.baseline_questions // max(args.questions, 1)
    root = args.keep or Path(tempfile.mkdtemp(prefix="quiz-scale-"))
    print(f"building in {root} …", file=sys.stderr)
    schemas: list[str] = []
    try:
        urls = {size: _database(root / size, args.db, schemas) for size in ("small", "big")}
        small = measure(root / "small", urls["small"], args.baseline_questions, small_reviews)
        big = measure(root / "big", urls["big"], args.questions, args.reviews)
        where = "PostgreSQL" if args.db else "SQLite"
        report(big, small, (args.questions, args.reviews, args.baseline_questions,
                            small_reviews), where)
    finally:
        if args.db:
            _drop_schemas(args.db, schemas)
        if args.keep is None:
            import shutil

            shutil.rmtree(root, ignore_errors=True)


def _database(folder: Path, server: str | None, schemas: list[str]) -> str:
    """The URL of one bank size's database: an SQLite file in its folder, or a new schema on
    the PostgreSQL database `server` that every connection of the URL uses."""
    folder.mkdir(parents=True, exist_ok=True)
    if server is None:
        return f"sqlite:///{folder / 'quiz.db'}"
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    schema = f"quiz_scale_{folder.name}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(server)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    schemas.append(schema)
    url = make_url(server)
    options = f"{url.query.get('options', '')} -csearch_path={schema}".strip()
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


def _drop_schemas(server: str, schemas: list[str]) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(server)
    with engine.begin() as connection:
        for schema in schemas:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    engine.dispose()


if __name__ == "__main__":
    main()
