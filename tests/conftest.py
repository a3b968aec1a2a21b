"""Test-wide settings and the throwaway PostgreSQL server.

No analytics calls from third-party libraries, ever (the sandbox has no network). Registry tests run on
SQLite and on a real PostgreSQL server: ``REGISTRY_TEST_POSTGRES_URL`` names one, otherwise the session
starts a throwaway cluster on loopback from the machine's PostgreSQL binaries (``.ci/run`` installs them
when absent) and stops it at the end.
"""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass

import pytest
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
os.environ.setdefault(
    "PREFECT_LOGGING_EXTRA_LOGGERS", "connectors,matching,expectations,store,reporting,pipelines"
)


# CI runs the property tests on a fixed sequence of examples (reproducible; a failure found there
# fails every time); developers' runs keep exploring new examples.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def _postgres_bindir() -> str | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return os.path.dirname(candidates[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresCluster:
    """A throwaway PostgreSQL cluster on loopback: ``url`` names its maintenance database.

    ``stop()`` stops it at once (``-m immediate``: like a crash or a pulled plug); ``start()`` starts it
    again on the same port and data; ``remove()`` stops it and deletes its files.
    """

    bindir: str
    home: str
    port: int
    as_postgres: list[str]

    @property
    def data(self) -> str:
        return os.path.join(self.home, "data")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *arguments: str) -> list[str]:
        return [*self.as_postgres, f"{self.bindir}/pg_ctl", "-D", self.data, *arguments]

    def start(self) -> None:
        sockets = os.path.join(self.home, "sockets")
        options = f"-p {self.port} -k {sockets} -c listen_addresses=127.0.0.1"
        options += " -c fsync=off -c full_page_writes=off"
        log = os.path.join(self.home, "server.log")
        subprocess.run(self.pg_ctl("-o", options, "-l", log, "-w", "start"), check=True, capture_output=True)

    def stop_command(self) -> list[str]:
        return self.pg_ctl("-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        subprocess.run(self.stop_command(), capture_output=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def start_postgres_cluster() -> PostgresCluster:
    """initdb and start a new throwaway cluster from the machine's PostgreSQL binaries (fails if none)."""
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries not found: install postgresql (.ci/run does) or set "
                    "REGISTRY_TEST_POSTGRES_URL")  # fmt: skip
    home = tempfile.mkdtemp(prefix="registry-pg-")
    data, sockets = os.path.join(home, "data"), os.path.join(home, "sockets")
    os.makedirs(sockets)
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(home, "postgres")
        shutil.chown(sockets, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_postgres, f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)  # fmt: skip
    cluster = PostgresCluster(bindir, home, _free_port(), as_postgres)
    cluster.start()
    return cluster


@pytest.fixture(scope="session")
def postgres_server():
    """A SQLAlchemy URL of a PostgreSQL server's maintenance database, for the whole session."""
    url = os.environ.get("REGISTRY_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    cluster = start_postgres_cluster()
    try:
        yield cluster.url
    finally:
        cluster.remove()


@pytest.fixture
def throwaway_postgres():
    """A PostgreSQL cluster of one test's own, which it may stop and start (removed afterwards)."""
    cluster = start_postgres_cluster()
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    import sqlalchemy as sa

    name = f"registry_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
