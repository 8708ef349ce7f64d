"""The embedded default: a private Postgres cluster run from the system's Postgres binaries.

Used by `make run` (no DATABASE_URL) and by the test suite. Postgres refuses to run as root, so as root the
cluster is owned by the `postgres` OS user and every binary runs through `runuser`; the cluster then lives
under /var/lib/abcodex (root's home is closed to other users).

Only the user running the server reaches the cluster: no TCP listener, a socket in a 0700 directory with
0700 permissions, and peer authentication mapped (pg_ident.conf) to that OS user and, as root, to the
`postgres` user that owns the cluster. Root's connections pass the file modes as root's do everywhere.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from mcp_server.errors import ConfigurationError

_SEARCH_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/opt/homebrew/opt/postgresql*/bin",
    "/usr/local/opt/postgresql*/bin",
)
_SERVICE_USER = "postgres"
_PORT = 5432  # only names the socket file: the socket directory is private to this cluster
_IDENT_MAP = "abcodex"


def find_pg_bin(explicit: Path | None = None) -> Path:
    """Where initdb and pg_ctl live: an explicit PG_BIN, the distribution's paths, Homebrew, then PATH."""
    candidates: list[Path] = [explicit] if explicit else []
    for pattern in _SEARCH_GLOBS:
        candidates.extend(sorted(Path("/").glob(pattern.lstrip("/")), reverse=True))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    raise ConfigurationError(
        "PG_BIN: no Postgres binaries found (install PostgreSQL 15+ or set PG_BIN to the directory of pg_ctl)"
    )


def running_as_root() -> bool:
    return os.geteuid() == 0


def default_cluster_dir(data_dir: Path) -> Path:
    """As root the cluster cannot live under /root (closed to the postgres user)."""
    if running_as_root() and str(data_dir).startswith(str(Path.home())):
        return Path("/var/lib/abcodex/postgres")
    return data_dir / "postgres"


@dataclass
class EmbeddedPostgres:
    """One private cluster: initialised on first use, started and stopped with the process using it."""

    cluster_dir: Path
    pg_bin: Path
    durable: bool = True

    @property
    def data_dir(self) -> Path:
        return self.cluster_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.cluster_dir / "run"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{_SERVICE_USER}@/{database}?host={self.socket_dir}&port={_PORT}"

    async def create_database(self, name: str, template: str | None = None) -> str:
        """Create database `name` (a copy of `template` if given) unless it exists; returns its DSN."""
        admin = await asyncpg.connect(self.dsn("postgres"))
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                copy = f' TEMPLATE "{template}"' if template else ""
                await admin.execute(f'CREATE DATABASE "{name}"{copy}')
        finally:
            await admin.close()
        return self.dsn(name)

    def ensure_initialized(self) -> bool:
        """Create the cluster if it does not exist; True when it was created now."""
        if (self.data_dir / "PG_VERSION").exists():
            return False
        self.cluster_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        self._hand_to_service_user(self.cluster_dir)
        self._check_reachable()
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "--auth-local=peer",
            "--auth-host=reject",  # the first start replaces these rules (_restrict_access); no trust meanwhile
            "-U",
            _SERVICE_USER,
            "--no-sync",
            "--locale=C",
            "-E",
            "UTF8",
        )
        return True

    def start(self) -> None:
        if self.is_running():
            return
        self._restrict_access()
        options = (
            f"-k {self.socket_dir} -p {_PORT} -c listen_addresses='' -c unix_socket_permissions=0700"
            " -c max_connections=200"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log_file = self.cluster_dir / "postgres.log"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(log_file), "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        result = self._command("pg_ctl", "-D", str(self.data_dir), "status")
        return subprocess.run(result, capture_output=True, check=False).returncode == 0  # noqa: S603

    def _restrict_access(self) -> None:
        """Rewritten at every start, so a cluster made by an earlier version is closed as well."""
        for private in (self.cluster_dir, self.socket_dir):
            private.chmod(0o700)
        self._write_config("pg_hba.conf", f"local all {_SERVICE_USER} peer map={_IDENT_MAP}\n")
        users = sorted({_os_user(), _SERVICE_USER} if running_as_root() else {_os_user()})
        self._write_config("pg_ident.conf", "".join(f"{_IDENT_MAP} {user} {_SERVICE_USER}\n" for user in users))

    def _write_config(self, name: str, rules: str) -> None:
        path = self.data_dir / name
        path.write_text(f"# Written by abcodex at every start (mcp_server/repository/embedded.py).\n{rules}")
        path.chmod(0o600)
        if running_as_root():
            owner = pwd.getpwnam(_SERVICE_USER)
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _hand_to_service_user(self, path: Path) -> None:
        if running_as_root():
            subprocess.run(["chown", "-R", f"{_SERVICE_USER}:", str(path)], check=True)  # noqa: S603, S607

    def _check_reachable(self) -> None:
        """As root, every parent directory must let the postgres user through; say which setting to change."""
        if not running_as_root():
            return
        probe = ["runuser", "-u", _SERVICE_USER, "--", "test", "-w", str(self.cluster_dir)]
        if subprocess.run(probe, capture_output=True, check=False).returncode != 0:  # noqa: S603
            raise ConfigurationError(
                f"ABCODEX_DATA_DIR: the postgres OS user cannot reach {self.cluster_dir}; choose a directory "
                "whose parents it may enter (mode 755), for example under /var/lib"
            )

    def _command(self, binary: str, *args: str) -> list[str]:
        command = [str(self.pg_bin / binary), *args]
        if running_as_root():
            return ["runuser", "-u", _SERVICE_USER, "--", *command]
        return command

    def _run(self, binary: str, *args: str) -> None:
        completed = subprocess.run(self._command(binary, *args), capture_output=True, text=True, check=False)  # noqa: S603
        if completed.returncode != 0:
            raise ConfigurationError(
                f"embedded Postgres: {binary} failed ({completed.returncode}): "
                f"{(completed.stderr or completed.stdout).strip()[-500:]}"
            )


def _os_user() -> str:
    """The name peer authentication sees for this process."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError as exc:
        raise ConfigurationError(
            f"embedded Postgres: uid {os.geteuid()} has no user name, which peer authentication needs; "
            "run as a user with a passwd entry or set DATABASE_URL"
        ) from exc


def scratch_cluster(prefix: str = "abcodex-pg-") -> EmbeddedPostgres:
    """A throw-away, non-durable cluster in a temporary directory, started, and removed at process exit.

    For the test suite and the load test; the embedded default keeps its cluster in the data directory.
    """
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)  # as root, the postgres OS user must reach it
    server = EmbeddedPostgres(root / "cluster", find_pg_bin(), durable=False)
    server.ensure_initialized()
    server.start()

    def remove() -> None:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(remove)
    return server
