"""A PostgreSQL server for the tests, and one empty schema per test on it.

`start_local_server()` makes a throwaway server the way `.ci/run` does: `initdb` into a temporary
folder (as the `postgres` user when running as root, since initdb refuses root), `pg_ctl start`
on a free port of 127.0.0.1 with its unix socket in that folder, trust authentication.
`Schemas` gives each test a fresh schema on a server and a URL whose connections all use it
(libpq `options=-csearch_path=…`), so no test pays for a CREATE DATABASE.

Every failure to get a server is a `PostgresUnavailable` whose message is one line: the reason the
conftest skips the PostgreSQL tests with (or fails them with, in CI).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

POSTGRES_USER = "postgres"  # the superuser that initdb creates (and the OS user when root)


class PostgresUnavailable(Exception):
    """No PostgreSQL server for the tests; the message says why, in one line."""


def find_bindir() -> Path | None:
    """The folder of `initdb` and `pg_ctl`: on PATH, else Debian's newest
    /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    candidates = [d for d in Path("/usr/lib/postgresql").glob("*/bin")
                  if (d / "initdb").exists() and (d / "pg_ctl").exists()]
    candidates.sort(key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else -1)
    return candidates[-1] if candidates else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sqlalchemy_url(url: str) -> URL:
    """`url` parsed; a bare `postgresql://` gets psycopg (3), the driver the tests install."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


# Run beside the tests: stops the server and removes its folder if the tests' process dies
# without doing so itself (killed, timed out); ends by itself once the folder is gone.
_WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, directory, stop = os.getppid(), sys.argv[1], sys.argv[2:]
while os.getppid() == parent and os.path.isdir(directory):
    time.sleep(1)
if os.path.isdir(directory):
    subprocess.run(stop, cwd=directory, capture_output=True)
    shutil.rmtree(directory, ignore_errors=True)
"""


@dataclass
class LocalServer:
    """A running throwaway server: data in `directory/data`, socket in `directory`."""

    directory: Path
    bindir: Path
    port: int
    as_user: list[str]  # command prefix running a program as the server's OS user
    watchdog: subprocess.Popen[bytes] | None = None

    @property
    def stop_command(self) -> list[str]:
        # immediate: no checkpoint, the data is thrown away
        return [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.directory / "data"),
                "-m", "immediate", "-w", "stop"]

    @property
    def url(self) -> str:
        return (f"postgresql+psycopg://{POSTGRES_USER}@/postgres"
                f"?host={self.directory}&port={self.port}")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if self.directory.exists():
            subprocess.run(self.stop_command, cwd=self.directory, capture_output=True,
                           check=False)
            shutil.rmtree(self.directory, ignore_errors=True)
        if self.watchdog is not None:
            self.watchdog.kill()
            self.watchdog.wait()


def start_local_server() -> LocalServer:
    """initdb + pg_ctl start in a new temporary folder; `PostgresUnavailable` when impossible."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable("no initdb/pg_ctl (on PATH or in /usr/lib/postgresql/*/bin) and "
                                  "QUIZ_TEST_POSTGRESQL_URL is unset; e.g. apt install postgresql")
    as_user: list[str] = []
    owner: tuple[int, int] | None = None
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        import pwd
        try:
            account = pwd.getpwnam(POSTGRES_USER)
        except KeyError:
            raise PostgresUnavailable(f"running as root and there is no {POSTGRES_USER!r} user "
                                      "to run initdb as") from None
        owner = (account.pw_uid, account.pw_gid)
        as_user = (["runuser", "-u", POSTGRES_USER, "--"] if shutil.which("runuser")
                   else ["su", POSTGRES_USER, "-s", "/bin/sh", "-c", '"$0" "$@"'])
    directory = Path(tempfile.mkdtemp(prefix="quiz-pg-"))
    if owner is not None:
        os.chown(directory, *owner)
    server = LocalServer(directory, bindir, free_port(), as_user)
    server.watchdog = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(directory), *server.stop_command],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)  # not stopped by the Ctrl-C meant for the tests

    def run(*command: str) -> None:
        done = subprocess.run([*as_user, *command], cwd=directory, capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            log = directory / "server.log"
            detail = done.stderr + done.stdout + (log.read_text() if log.exists() else "")
            server.stop()
            raise PostgresUnavailable(f"{Path(command[0]).name} failed: {_last_line(detail)}")

    run(str(bindir / "initdb"), "-D", str(directory / "data"), "--auth=trust",
        f"--username={POSTGRES_USER}", "--encoding=UTF8", "--no-locale", "--no-sync")
    # A throwaway server: no durability, so nothing waits for the disk.
    settings = (f"-k {directory} -p {server.port} -h 127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    run(str(bindir / "pg_ctl"), "-D", str(directory / "data"), "-l", str(directory / "server.log"),
        "-w", "-t", "60", "-o", settings, "start")
    return server


class Schemas:
    """Empty schemas on the server at `base_url`, one per test, each with its own URL."""

    def __init__(self, base_url: str) -> None:
        from sqlalchemy import create_engine, text

        self.base_url = sqlalchemy_url(base_url)
        self._text = text
        self.admin = create_engine(self.base_url, isolation_level="AUTOCOMMIT", pool_size=1)
        try:
            with self.admin.connect() as connection:
                self._server_version = connection.dialect.server_version_info or (0,)
        except Exception as error:
            self.admin.dispose()
            target = self.base_url.render_as_string(hide_password=True)
            raise PostgresUnavailable(f"cannot connect to {target}: "
                                      f"{_last_line(str(error).split('(Background')[0])}") from None

    def url_for(self, schema: str) -> str:
        """The base URL with every connection's search_path set to `schema` (a plain string,
        usable by another process); its application_name finds the schema's connections."""
        query: dict[str, Any] = dict(self.base_url.query)
        options = f"{query.get('options', '')} -csearch_path={schema}".strip()
        url = self.base_url.update_query_dict({"options": options, "application_name": schema})
        return url.render_as_string(hide_password=False)

    def create(self) -> tuple[str, str]:
        """A new empty schema: its name and URL."""
        name = f"t_{secrets.token_hex(6)}"
        with self.admin.connect() as connection:
            connection.execute(self._text(f"CREATE SCHEMA {name}"))
        return name, self.url_for(name)

    def drop(self, name: str) -> None:
        """Close what the test left connected to the schema, then drop it with its contents."""
        with self.admin.connect() as connection:
            # DROP SCHEMA waits for the locks of a connection that a test left open: an error
            # after 10 s rather than a hung run.
            connection.execute(self._text("SET lock_timeout = '10s'"))
            if self._server_version >= (14,):  # pg_terminate_backend(pid, timeout) waits
                connection.execute(self._text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"), {"name": name})
            connection.execute(self._text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))

    def exists(self, name: str) -> bool:
        with self.admin.connect() as connection:
            found = connection.execute(self._text(
                "SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": name}).first()
        return found is not None

    @contextlib.contextmanager
    def schema(self) -> Iterator[str]:
        """The URL of a new empty schema, dropped on exit."""
        name, url = self.create()
        try:
            yield url
        finally:
            self.drop(name)

    def close(self) -> None:
        self.admin.dispose()
