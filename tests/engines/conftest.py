"""Engines the tests start themselves, once per test session.

* ``postgres``: a throwaway PostgreSQL cluster (:mod:`pg_server`: initdb into a temporary
  directory, as an unprivileged user when the tests run as root, a free localhost port,
  trust authentication), stopped and removed at the end. Yields the :class:`pg_server.PgServer`
  (``.dsn``, ``.connect()``).
* ``spark``: one local SparkSession (:mod:`spark_session`).

Without the server binaries or Java these skip locally and fail in CI (:mod:`engine_gate`).
"""

from __future__ import annotations

import pytest

import pg_server
from engine_gate import unavailable
# spark fixture: tests/engines/spark_session.py
from spark_session import spark  # noqa: F401  (the session-scoped local SparkSession)


@pytest.fixture(scope="session")
def postgres():
    """A running PostgreSQL server for the whole test session (engine defaults, fsync off:
    nothing here needs to survive a crash)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed: pip install 'segkit[postgres]' (or the test extra)")
    bindir = pg_server.find_bindir()
    if bindir is None:
        unavailable(pg_server.INSTALL_HINT)
    try:
        server = pg_server.start(bindir, settings={"fsync": "off"})
    except (OSError, RuntimeError) as exc:
        unavailable(f"could not start a throwaway PostgreSQL server: {exc}")
    try:
        yield server
    finally:
        server.stop()
