"""A real PostgreSQL for the shared-spool tests: Debian's `postgresql` package, `initdb` into a
temporary folder owned by an unprivileged user, listening on a free port on 127.0.0.1 with its
unix socket in that folder. Tests run as root here and in CI; PostgreSQL refuses to run as root,
so as root the server runs as `sanitizer-test` (created by scripts/test-services) or `nobody`,
through `runuser`. Readiness is `pg_isready`, never a sleep.

Each test takes a database of its own (`PgServer.new_database`), so one server serves the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

SUPERUSER = "sanitizer"
_USERS = ("sanitizer-test", "nobody")
_READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None when the package is missing."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    return Path(found[-1]).parent if found else None


def _major(path: str) -> int:
    try:
        return int(Path(path).parents[1].name)
    except ValueError:
        return 0


def _run_as() -> list[str]:
    """The command prefix that runs PostgreSQL's tools as an unprivileged user."""
    if os.geteuid() != 0:
        return []
    for name in _USERS:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return ["runuser", "-u", name, "--"]
    raise RuntimeError("no unprivileged user to run PostgreSQL as; run scripts/test-services")


def _owner() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    for name in _USERS:
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
    return None


@dataclass
class PgServer:
    bin: Path
    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    _names: Iterator[int] = field(default_factory=lambda: count(1))

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        prefix = _run_as()
        self.process = subprocess.Popen(
            [
                *prefix,
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.socket_dir}",
                "-c",
                "max_connections=200",
                "-c",
                "fsync=on",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "postgres.log", "ab"),
        )
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"postgres exited:\n{self.log()}")
            # pg_isready itself waits up to -t seconds for the server to accept connections.
            done = subprocess.run(
                [
                    str(self.bin / "pg_isready"),
                    "-q",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-t",
                    "5",
                ],
                check=False,
            )
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"postgres not ready in {_READY_TIMEOUT}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        # runuser does not pass signals on to postgres: pg_ctl signals the postmaster itself.
        subprocess.run(
            [
                *_run_as(),
                str(self.bin / "pg_ctl"),
                "stop",
                "-D",
                str(self.data),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
            ],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.process.wait(timeout=60)
        self.process = None

    def log(self) -> str:
        path = self.folder / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def new_database(self) -> str:
        """A fresh, empty database; returns its DSN."""
        name = f"spool_{os.getpid()}_{next(self._names)}"
        self.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def set_read_only(self, dsn: str, on: bool) -> None:
        """Make the database of `dsn` refuse (or take again) every write, and cut its sessions
        so they reconnect under the new setting: the shared spool's "disk full"."""
        database = dsn.rsplit("/", 1)[1]
        value = "on" if on else "off"
        self.execute(f'ALTER DATABASE "{database}" SET default_transaction_read_only = {value}')
        self.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        )

    def execute(self, sql: str, database: str = "postgres") -> None:
        asyncio.run(self._execute(sql, database))

    def fetch(self, sql: str, database: str = "postgres") -> list[tuple]:
        return asyncio.run(self._fetch(sql, database))

    async def _execute(self, sql: str, database: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.dsn(database))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def _fetch(self, sql: str, database: str) -> list[tuple]:
        import asyncpg

        conn = await asyncpg.connect(self.dsn(database))
        try:
            return [tuple(row) for row in await conn.fetch(sql)]
        finally:
            await conn.close()


def start_server() -> PgServer:
    """initdb into a fresh folder and start the server; raises RuntimeError when PostgreSQL
    is not installed (scripts/test-services installs it)."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed; run scripts/test-services")
    folder = Path(tempfile.mkdtemp(prefix="sanitizer-pg-"))
    (folder / "socket").mkdir()
    owner = _owner()
    if owner is not None:
        for path in (folder, folder / "socket"):
            os.chown(path, *owner)
    subprocess.run(
        [
            *_run_as(),
            str(bin_dir / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-instructions",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = PgServer(bin=bin_dir, folder=folder, port=free_port())
    server.start()
    return server


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)
