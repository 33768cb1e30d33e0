"""A private PostgreSQL cluster for tests that stop and start the server.

Never the server CI's own run uses: `initdb` in a temporary directory, on a free port, with its
socket in that directory. PostgreSQL refuses to run as root, so as root the cluster belongs to
the `postgres` user (`runuser`). Missing binaries or user: the tests that need it are skipped.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fakes.runtime import free_port


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivateCluster:
    """initdb + pg_ctl on 127.0.0.1:`port`; `stop()` and `start()` take the server away and
    bring it back."""

    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.bindir = bindir
        self.data = root / "data"
        self.port = port
        self.owner: str | None = None
        if os.geteuid() == 0:
            self.owner = "postgres"
            owner = pwd.getpwnam(self.owner)
            os.chown(root, owner.pw_uid, owner.pw_gid)

    def _run(self, *command: str) -> None:
        argv = [str(self.bindir / command[0]), *command[1:]]
        if self.owner is not None:
            argv = ["runuser", "-u", self.owner, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}")

    def init(self) -> None:
        """A new cluster: trust on localhost (a throwaway test server), no fsync."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        options = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.data / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        """Stop the server (fast: clients are disconnected at once)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        """A new empty database; its SQLAlchemy URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of a database of this cluster."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str) -> str:
        """The libpq DSN of a database of this cluster (asyncpg)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A started private cluster, stopped and deleted at the end; skips when impossible."""
    bindir = _binaries()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to own a cluster")
    root = Path(tempfile.mkdtemp(prefix="loa-pg-"))
    cluster = PrivateCluster(bindir, root, free_port())
    try:
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            with contextlib.suppress(RuntimeError):  # already stopped by the test
                cluster.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
