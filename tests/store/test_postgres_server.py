"""The PostgreSQL test infrastructure itself (tests/conftest.py, tests/postgres_server.py): the
postgresql `db_url` reaches a server, each test has its own empty schema, selected for every
connection of the URL (in another process too), and dropped after the test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.postgres_server import Schemas

pytestmark = pytest.mark.postgresql_only

# The schema of test_a_table_in_this_tests_schema, for the test after it.
_earlier: dict[str, str] = {}


def _search_path(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW search_path")).scalar_one())
    finally:
        engine.dispose()


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_the_postgresql_param_connects(db_url: str, db_backend: str) -> None:
    assert db_backend == "postgresql"
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            assert engine.dialect.name == "postgresql"
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    finally:
        engine.dispose()
    assert schema.startswith("t_")
    assert _search_path(db_url) == schema
    assert _tables(db_url) == []  # empty


def test_a_table_in_this_tests_schema(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE made_here (id integer PRIMARY KEY)"))
            connection.execute(text("INSERT INTO made_here VALUES (1)"))
    finally:
        engine.dispose()
    assert _tables(db_url) == ["made_here"]
    _earlier["schema"] = _search_path(db_url)


def test_the_next_test_has_another_empty_schema_and_the_last_one_is_dropped(
        db_url: str, postgresql_schemas: Schemas) -> None:
    if "schema" not in _earlier:
        pytest.skip("checks after test_a_table_in_this_tests_schema, which did not run first")
    assert _search_path(db_url) != _earlier["schema"]
    assert _tables(db_url) == []
    assert not postgresql_schemas.exists(_earlier["schema"])


def test_schemas_from_the_factory_are_isolated_and_dropped(
        make_db_url: Callable[..., str], postgresql_schemas: Schemas) -> None:
    first, second = make_db_url("postgresql"), make_db_url("postgresql")
    engine = create_engine(first)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE only_in_first (id integer)"))
    finally:
        engine.dispose()
    assert _tables(first) == ["only_in_first"]
    assert _tables(second) == []
    with postgresql_schemas.schema() as third:  # the same code as db_url's, ended here
        name = _search_path(third)
        assert postgresql_schemas.exists(name)
        engine = create_engine(third)
        leaked = engine.connect()  # a connection left open, in a transaction, holding a lock
        leaked.execute(text("CREATE TABLE left_open (id integer)"))
    assert not postgresql_schemas.exists(name)
    leaked.invalidate()
    engine.dispose()


def test_another_process_connects_to_the_same_schema(db_url: str) -> None:
    script = ("import sys\nfrom sqlalchemy import create_engine, text\n"
              "with create_engine(sys.argv[1]).connect() as connection:\n"
              "    print(connection.execute(text('SHOW search_path')).scalar_one())\n")
    done = subprocess.run([sys.executable, "-c", script, db_url], capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == _search_path(db_url)
    assert done.stdout.strip().startswith("t_")
