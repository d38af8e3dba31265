"""A throwaway PostgreSQL cluster owned by one test: initdb, start, stop, start again.

The machine's PostgreSQL is shared and must never be stopped, so a test that takes the
database away (an outage) runs its own cluster: initdb into a fresh directory owned by the
`postgres` OS user (initdb and pg_ctl refuse to run as root), trust auth, listening on a
free loopback port only, its socket in its own directory. `remove()` stops it and deletes
the directory; use it as a context manager so that happens even when the test fails.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from tests.conftest import free_port

PG_BIN = Path(os.environ.get("STILLMOTION_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"  # the OS user that owns the cluster's files and runs its server


def available() -> bool:
    """Whether this machine can run a cluster of the test's own."""
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        return False
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


class PgCluster:
    """One PostgreSQL cluster in a temporary directory, on a free loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        # Not under pytest's tmp_path: its parents are root-only (0700), and the server
        # runs as `postgres`, which must reach its own directory.
        self.root = Path(tempfile.mkdtemp(prefix="sm-pgcluster-"))
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        account = pwd.getpwnam(PG_USER)
        os.chown(self.root, account.pw_uid, account.pw_gid)
        try:
            self._pg(PG_BIN / "initdb", "-D", str(self.data), "-A", "trust", "-U", PG_USER,
                     "--no-sync", "-E", "UTF8")
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/postgres"

    def _pg(self, *argv: str | Path, timeout: float = 120) -> None:
        result = subprocess.run(["runuser", "-u", PG_USER, "--", *map(str, argv)],
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, argv))} failed ({result.returncode}):\n"
                               f"{result.stdout}\n{result.stderr}\n{self.log()}")

    def start(self) -> PgCluster:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.root} -c max_connections=100")
        self._pg(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log_path, "-o", options,
                 "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        """A fast shutdown: open sessions are terminated, the cluster is cleanly stopped."""
        self._pg(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        result = subprocess.run(["runuser", "-u", PG_USER, "--", str(PG_BIN / "pg_ctl"),
                                 "-D", str(self.data), "status"],
                                capture_output=True, text=True, timeout=30)
        return result.returncode == 0

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def remove(self) -> None:
        """Stop the cluster (immediately, if it is up) and delete its directory."""
        try:
            if self.data.exists() and self.running():
                self._pg(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w",
                         "-t", "60", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.remove()
