"""Shared fixtures: a fixed clock, temporary databases and a small bank on disk.

Databases: `db_url` is parametrised over the backends named in QUIZ_TEST_DATABASES (default
"sqlite,postgresql"; test ids `[sqlite]` / `[postgresql]`), `db_backend` says which one a test has.
SQLite is a fresh file (`tmp_path/quiz.db`); PostgreSQL is a fresh empty schema, dropped after
the test, on the server of QUIZ_TEST_POSTGRESQL_URL, or else on a throwaway server started for the
session when initdb/pg_ctl are installed, or else the PostgreSQL tests skip (they fail instead
when CI is set). Marks `sqlite_only` / `postgresql_only` keep a test to one backend.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.postgres_server import (
    PostgresUnavailable,
    Schemas,
    sqlalchemy_url,
    start_local_server,
)

FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)

SMALL_BANK = """\
# 卷积基础

## 1×1 卷积有什么作用？

```meta
id: conv-1x1
sources: 000#2.2, 001#Q7
tags: 卷积变种
kind: concept
```

**核心**：跨通道线性组合，可升降维，$C_{in} \\cdot C_{out}$ 个参数。

## 感受野怎么算？

```meta
id: rf-basics
sources: 000#1.2
tags: 感受野
kind: concept
difficulty: 3
```

$r_l = r_{l-1} + (k_l - 1) \\cdot j_{l-1}$

## 池化的作用？

```meta
id: pool-role
sources: 002#2
tags: 池化
kind: concept
origin: authored
```

降采样，扩大感受野。
"""


def sql_dump(path: Path) -> list[str]:
    """Every row and schema statement of an SQLite file: to show that nothing changed."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def numbered_bank(count: int, decks: int = 3, id_digits: int = 1) -> str:
    """One bank file of `count` short concept questions (ids q0, q1, … padded to `id_digits`),
    dealt over `decks` decks in turn."""
    parts = ["# 主题\n"]
    for n in range(count):
        parts.append(f"## 问题 {n}？\n\n```meta\nid: q{n:0{id_digits}d}\nsources: 000#{n + 1}\n"
                     f"tags: 主题{n % decks}\nkind: concept\n```\n\n答案 {n}。\n")
    return "\n".join(parts)


BACKENDS = ("sqlite", "postgresql")


def selected_backends() -> list[str]:
    """The backends of QUIZ_TEST_DATABASES (comma-separated), in BACKENDS' order."""
    raw = os.environ.get("QUIZ_TEST_DATABASES", "").strip() or ",".join(BACKENDS)
    named = {name.strip().lower() for name in raw.split(",") if name.strip()}
    unknown = named - set(BACKENDS)
    if unknown:
        raise pytest.UsageError(f"QUIZ_TEST_DATABASES={raw!r}: unknown {sorted(unknown)}, "
                                f"expected some of {', '.join(BACKENDS)}")
    return [name for name in BACKENDS if name in named]


def _only(item: pytest.Item) -> str | None:
    """The backend a `sqlite_only` / `postgresql_only` mark keeps the test to."""
    for backend in BACKENDS:
        if item.get_closest_marker(f"{backend}_only") is not None:
            return backend
    return None


def pytest_configure(config: pytest.Config) -> None:
    selected_backends()  # a mistyped QUIZ_TEST_DATABASES stops the run at once


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("QUIZ_TEST_POSTGRESQL_URL", "").strip()
    server = (sqlalchemy_url(url).render_as_string(hide_password=True) if url
              else "a throwaway server if initdb/pg_ctl are installed")
    return f"databases: {', '.join(selected_backends())} (PostgreSQL: {server})"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses `db_backend` (as `db_url` does) runs once per selected backend; a
    marked test only on its own backend. A test's own parametrize of db_backend wins."""
    if "db_backend" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if "db_backend" in (names.replace(" ", "").split(",") if isinstance(names, str) else names):
            return
    only = _only(metafunc.definition)
    backends = [b for b in selected_backends() if only is None or b == only]
    if backends:  # else deselected below
        metafunc.parametrize("db_backend", backends, ids=backends, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (quietly) the tests marked for a backend that QUIZ_TEST_DATABASES leaves out."""
    selected = selected_backends()
    dropped = [item for item in items if _only(item) not in (None, *selected)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        gone = {id(item) for item in dropped}
        items[:] = [item for item in items if id(item) not in gone]


_server_missing: list[str] = []  # why the PostgreSQL tests skipped or failed, for the summary


def _no_server(why: str) -> NoReturn:
    """Skip the PostgreSQL tests, saying why in one line; fail them in CI (CI set, e.g. "true")
    when QUIZ_TEST_DATABASES names postgresql: CI must not pass without its server."""
    ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    strict = ci and "postgresql" in selected_backends()
    _server_missing[:] = [f"{'failed' if strict else 'skipped'}: no PostgreSQL server: {why}"]
    if strict:
        pytest.fail(f"CI needs a PostgreSQL server: {why}", pytrace=False)
    pytest.skip(f"no PostgreSQL server: {why}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _server_missing:  # one line, even without -rs
        terminalreporter.write_line(f"PostgreSQL tests {line}", yellow=True)


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """The base URL of the session's PostgreSQL server: QUIZ_TEST_POSTGRESQL_URL, else a
    throwaway server started here (initdb + pg_ctl, stopped at session end)."""
    url = os.environ.get("QUIZ_TEST_POSTGRESQL_URL", "").strip()
    if url:
        yield url
        return
    try:
        server = start_local_server()
    except PostgresUnavailable as error:
        why = str(error)
    else:
        try:
            yield server.url
        finally:
            server.stop()
        return
    _no_server(why)


@pytest.fixture(scope="session")
def postgresql_schemas(postgresql_url: str) -> Iterator[Schemas]:
    """Creates and drops the tests' schemas on the session's server; connecting here is what
    finds a QUIZ_TEST_POSTGRESQL_URL that does not answer."""
    try:
        schemas = Schemas(postgresql_url)
    except PostgresUnavailable as error:
        why = str(error)
    else:
        try:
            yield schemas
        finally:
            schemas.close()
        return
    _no_server(why)


def _backend_of(node: pytest.Item) -> str:
    callspec = getattr(node, "callspec", None)
    param = callspec.params.get("db_backend") if callspec is not None else None
    return str(param or _only(node) or "sqlite")


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    """"sqlite" or "postgresql": the backend of this test's `db_url` (its id in the test id)."""
    return str(getattr(request, "param", None) or _backend_of(request.node))


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of the test's backend: an SQLite file `tmp_path/quiz.db`, or a new
    PostgreSQL schema that every connection of the URL uses (dropped after the test)."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'quiz.db'}"
        return
    schemas: Schemas = request.getfixturevalue("postgresql_schemas")
    with schemas.schema() as url:
        yield url


@pytest.fixture
def make_db_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., str]]:
    """A factory of more empty databases, all removed after the test: `make_db_url()` on the
    test's backend (sqlite when it has none), `make_db_url("postgresql")` on a given one."""
    numbers = itertools.count(1)
    with contextlib.ExitStack() as cleanup:
        def make(backend: str | None = None) -> str:
            backend = backend or _backend_of(request.node)
            if backend == "sqlite":
                return f"sqlite:///{tmp_path / f'quiz-{next(numbers)}.db'}"
            if backend != "postgresql":
                raise ValueError(f"unknown backend {backend!r}, expected one of {BACKENDS}")
            schemas: Schemas = request.getfixturevalue("postgresql_schemas")
            return cleanup.enter_context(schemas.schema())

        yield make


@pytest.fixture
def snapshot(snapshot: Any, request: pytest.FixtureRequest) -> Any:
    """Syrupy's `snapshot` named as if the test had no backend id: a screen has one SVG
    (`test_x.svg`) for every backend, not one per `[sqlite]` / `[postgresql]`."""
    node = request.node
    callspec = getattr(node, "callspec", None)
    location = getattr(snapshot, "test_location", None)
    if callspec is not None and callspec.id in BACKENDS and location is not None:
        location.testname = node.originalname
    return snapshot


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "bank"
    directory.mkdir()
    (directory / "conv.md").write_text(SMALL_BANK, encoding="utf-8")
    return directory


def quiz_command() -> list[str]:
    """The installed `quiz` console script (the real entry point), beside this interpreter."""
    script = Path(sys.executable).with_name("quiz")
    if script.exists():
        return [str(script)]
    found = shutil.which("quiz")
    return [found] if found else [sys.executable, "-m", "quiz"]
