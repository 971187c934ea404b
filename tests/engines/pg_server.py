"""A throwaway PostgreSQL cluster: ``initdb`` into a temporary directory, started on a free
localhost port with trust authentication, stopped and removed by :meth:`PgServer.stop`.

Plain Python (no pytest), so the engine tests (``tests/engines/conftest.py``) and the engine
benchmark (``bench/bench_engines.py``) start the server the same way. PostgreSQL refuses to
run as root: as root the cluster is created and run as an unprivileged user (``postgres``,
or ``nobody``) through ``runuser``, in a directory that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = ("PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql-15 "
                "(apt-get install postgresql-15) or put its bin directory on PATH")


def find_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: PATH first, then the Debian layout
    (``/usr/lib/postgresql/<version>/bin``, newest version first)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    for initdb in reversed(versions):
        if (Path(initdb).parent / "pg_ctl").exists():
            return Path(initdb).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as_user() -> str | None:
    """The unprivileged user to run the server as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


class PgServer:
    """One started cluster; ``dsn`` is a libpq connection string for its ``postgres`` database."""

    def __init__(self, bindir: Path, base: Path, port: int, user: str | None):
        self.bindir, self.base, self.port, self.user = bindir, base, port, user
        self.datadir = base / "data"
        self.dsn = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", self.user, "--", *cmd] if self.user else cmd

    def connect(self, **kwargs):
        """A new psycopg connection (autocommit unless told otherwise)."""
        import psycopg

        kwargs.setdefault("autocommit", True)
        return psycopg.connect(self.dsn, **kwargs)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        try:
            if (self.datadir / "postmaster.pid").exists():
                subprocess.run(self._cmd("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop"),
                               capture_output=True, timeout=60)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def start(bindir: Path | None = None, *, settings: dict[str, str] | None = None) -> PgServer:
    """initdb + start a cluster on a free localhost port; raise RuntimeError with the server's
    log when it does not come up. ``settings`` are extra ``-c name=value`` server options
    (the engine defaults are what the tests and benchmarks measure, so normally none)."""
    bindir = bindir or find_bindir()
    if bindir is None:
        raise FileNotFoundError(INSTALL_HINT)
    user = _run_as_user()
    base = Path(tempfile.mkdtemp(prefix="segkit-pg-"))
    os.chmod(base, 0o755)
    if user:
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    server = PgServer(bindir, base, _free_port(), user)
    try:
        done = subprocess.run(server._cmd("initdb", "-D", str(server.datadir), "-U", "postgres",
                                          "--auth=trust", "--encoding=UTF8", "--locale=C", "-N"),
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()[-2000:]}")
        options = ["-c listen_addresses=127.0.0.1", f"-c port={server.port}",
                   f"-c unix_socket_directories={base}"]
        options += [f"-c {k}={v}" for k, v in (settings or {}).items()]
        log = base / "server.log"
        done = subprocess.run(server._cmd("pg_ctl", "-D", str(server.datadir), "-l", str(log), "-w",
                                          "-t", "60", "-o", " ".join(options), "start"),
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            text = log.read_text(errors="replace") if log.exists() else done.stderr
            raise RuntimeError(f"PostgreSQL did not start: {text.strip()[-2000:]}")
        for _ in range(100):  # pg_ctl -w waits, but be sure a TCP connection is accepted
            try:
                with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        return server
    except BaseException:
        server.stop()
        raise
