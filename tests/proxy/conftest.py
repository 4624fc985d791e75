"""Fixtures of the proxy tests: the session's own PostgreSQL (tests/pgserver.py), started the
first time a test asks for it, and the spool backends the durability tests run against."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pgserver import PgServer, postgres_bin, running_server

SPOOL_BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if postgres_bin() is None:
        pytest.fail("PostgreSQL is not installed: run scripts/test-services (it installs it)")
    with running_server() as server:
        yield server


@pytest.fixture
def pg_dsn(pg_server: PgServer) -> str:
    """A fresh, empty database of the session's server."""
    return pg_server.new_database()
