# SPDX-License-Identifier: EUPL-1.2
"""A project-local PostgreSQL + PostGIS cluster, made from the system packages.

Used when ``STRATA_DATABASE_URL`` is not set: ``strata db up`` creates the cluster under
``.strata/pg`` (git-ignored), picks a free port on 127.0.0.1 and starts it; starting twice
is harmless and a stale pid file left by a crash is removed. As root, the server runs as
the ``postgres`` system user (PostgreSQL refuses to run as root).

Every connection needs a password (``scram-sha-256``; no ``trust``, no socket): the owner's
is made at creation and kept in ``password`` beside the data (mode 0600), and goes into the
URL ``strata db url`` prints; the service's roles derive theirs from it
(:mod:`linking.roles`). A cluster made before this is moved to passwords at its next start.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from geo.errors import Unavailable

DB_NAME = "strata"
SUPERUSER = "strata"
INSTALL_HINT = ("install them with: sudo apt-get install -y postgresql postgresql-15-postgis-3 "
                "(or run `make system-deps`)")


@dataclass(frozen=True)
class LocalCluster:
    """The project-local cluster rooted at ``root`` (holding ``data/``, ``port``, ``log``)."""

    root: Path

    @property
    def data(self) -> Path:
        """The PostgreSQL data directory."""
        return self.root / "data"

    @property
    def log(self) -> Path:
        """The server log."""
        return self.root / "server.log"

    @property
    def password_file(self) -> Path:
        """Where the owner's password is kept (mode 0600)."""
        return self.root / "password"

    def password(self) -> str | None:
        """The owner's password (None for a cluster not moved to passwords yet)."""
        try:
            return self.password_file.read_text().strip() or None
        except FileNotFoundError:
            return None

    @property
    def port_file(self) -> Path:
        """Where the cluster's port is remembered."""
        return self.root / "port"

    def port(self) -> int | None:
        """The port the cluster listens on (or last listened on)."""
        try:
            return int(self.port_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def url(self, database: str = DB_NAME) -> str:
        """The connection URL of the cluster."""
        port = self.port()
        if port is None:
            raise Unavailable("the local database has not been created",
                              hint="run `strata db up`")
        password = self.password()
        user = f"{SUPERUSER}:{password}" if password else SUPERUSER
        return f"postgresql://{user}@127.0.0.1:{port}/{database}"

    # -- lifecycle ------------------------------------------------------------------------
    def status(self) -> str:
        """'running', 'stopped' or 'absent'."""
        if not (self.data / "PG_VERSION").exists():
            return "absent"
        return "running" if self._running_pid() else "stopped"

    def up(self) -> str:
        """Create (if needed) and start the cluster; return its URL. Idempotent."""
        bindir = find_bindir()
        if not (self.data / "PG_VERSION").exists():
            self._init(bindir)
        if not self._running_pid():
            self._start(bindir)
        self._ensure_database(bindir)
        self._require_passwords()
        return self.url()

    def _first_port(self) -> int:
        """Where the search for a free port starts."""
        return 55432

    def _start(self, bindir: Path) -> None:
        self._remove_stale_pid()
        port = self.port()
        for attempt in range(3):
            if port is None or not port_is_free(port):
                port = free_port(self._first_port() + 17 * attempt)
                self.port_file.write_text(f"{port}\n")
            try:
                self._run([str(bindir / "pg_ctl"), "-D", str(self.data), "-l",
                           str(self.log), "-w", "-t", "60", "-o", f"-p {port}", "start"],
                          what="start PostgreSQL")
                return
            except Unavailable as exc:
                # another cluster took the port between the check and the start
                if "Address already in use" not in exc.message or attempt == 2:
                    raise
                port = None

    def down(self) -> None:
        """Stop the cluster (a no-op when it is not running)."""
        if self._running_pid():
            self._run([str(find_bindir() / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                       "-w", "stop"], what="stop PostgreSQL")

    # -- internals ------------------------------------------------------------------------
    def _init(self, bindir: Path) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.data.exists():
            shutil.rmtree(self.data)  # a half-made cluster from an interrupted init
        self.data.mkdir(mode=0o700)
        self._chown(self.root)
        self._chown(self.data)
        self._write_password()
        self._run([str(bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                   "--auth=scram-sha-256", f"--pwfile={self.password_file}", "-E", "UTF8",
                   "--locale=C.UTF-8"], what="create the cluster")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "\n# strata: a local development / test cluster\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "max_connections = 200\n"
                "shared_buffers = 512MB\n"
                "work_mem = 64MB\n"
                "maintenance_work_mem = 512MB\n"
                "max_wal_size = 4GB\n"
                # on 2 cores, parallel plans made bbox queries 3-6x slower (SERVING-NOTES)
                "max_parallel_workers_per_gather = 0\n"
                # compiling short queries costs more than it saves (see the service bench)
                "jit = off\n"
                # an acknowledged write (a report answered 201, an edition) survives a crash
                "fsync = on\n"
                "synchronous_commit = on\n"
            )
        self._chown(self.data / "postgresql.conf")

    def _ensure_database(self, bindir: Path) -> None:
        import psycopg

        admin = self.url("postgres")
        deadline = time.monotonic() + 60  # crash recovery on a busy machine takes a while
        last = ""
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
                    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                          (DB_NAME,)).fetchone()
                    if not exists:
                        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
                    # clusters made before it was on (postgresql.auto.conf wins)
                    if conn.execute("SHOW synchronous_commit").fetchone() != ("on",):
                        conn.execute("ALTER SYSTEM SET synchronous_commit = on")
                        conn.execute("SELECT pg_reload_conf()")
                    return
            except psycopg.OperationalError as exc:
                last = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
                if not self._running_pid():
                    # it was dying when `up` looked (a killed postmaster lingers a moment,
                    # longer in an uninterruptible write): it is gone now, start it
                    self._start(bindir)
                    continue
                time.sleep(0.2)
        raise Unavailable(f"the local PostgreSQL does not answer ({last}); see {self.log}",
                          hint="`strata db status` tells its state; `strata db up` starts it")

    def _write_password(self) -> str:
        password = secrets.token_hex(24)
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password + "\n")
        self._chown(self.password_file)  # initdb, run as the server's user, reads it
        return password

    def _require_passwords(self) -> None:
        """Move a cluster made with ``trust`` to passwords (its owner's and the roles')."""
        import psycopg

        from linking.roles import set_passwords, sql_password

        hba = self.data / "pg_hba.conf"
        rules = [line.split() for line in hba.read_text().splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
        if all(rule[-1] == "scram-sha-256" for rule in rules):
            return
        password = self.password() or self._write_password()
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql_password(SUPERUSER, password))
            set_passwords(conn, password)
            hba.write_text("# strata: a password for every connection (TCP on loopback)\n"
                           "host all all 127.0.0.1/32 scram-sha-256\n"
                           "host all all ::1/128 scram-sha-256\n")
            conn.execute("SELECT pg_reload_conf()")

    def _running_pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().splitlines()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        except (FileNotFoundError, PermissionError, IndexError):
            return None
        # a zombie (killed, not reaped by an init that does not reap) is not running
        return pid if b"postgres" in cmdline and state not in ("Z", "X") else None

    def _remove_stale_pid(self) -> None:
        pidfile = self.data / "postmaster.pid"
        if pidfile.exists():
            self.wait_for_orphans()
            pidfile.unlink()  # no live postgres owns it: left by a crash

    def orphans(self) -> list[int]:
        """Processes of this cluster still alive (a backend outlives a killed postmaster for
        a moment; each runs in the data directory)."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.readlink(f"/proc/{entry}/cwd") == str(self.data):
                        found.append(int(entry))
                except OSError:
                    continue
        return found

    def wait_for_orphans(self, timeout_s: float = 15) -> None:
        """Wait until no process of a crashed cluster holds its port or shared memory."""
        deadline = time.monotonic() + timeout_s
        while self.orphans() and time.monotonic() < deadline:
            time.sleep(0.1)

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            pg = pwd.getpwnam(server_user())
            os.chown(path, pg.pw_uid, pg.pw_gid)

    def _run(self, cmd: list[str], what: str, env: dict[str, str] | None = None) -> None:
        # without LANGUAGE: the command line sets it for click's texts in the user's language
        # (services/cli/click_text.py), and glibc would make the server speak it for good
        kwargs: dict = {"env": {k: v for k, v in {**os.environ, **(env or {})}.items()
                                if k != "LANGUAGE"}}
        if os.geteuid() == 0:
            kwargs["user"] = server_user()
            kwargs["cwd"] = "/"
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            log = self.log.read_text()[-800:] if self.log.exists() else ""
            raise Unavailable(f"could not {what}: {' / '.join(detail)}\n{log}".strip(),
                              hint=f"see {self.log}; `strata db status` tells the state")


def server_user() -> str:
    """The system user the server runs as when we are root."""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root, but there is no 'postgres' system user to run "
                          "the server as", hint=INSTALL_HINT) from None
    return "postgres"


def find_bindir() -> Path:
    """The bin directory of the newest PostgreSQL (>= 15) that has PostGIS installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: int(Path(p).parent.name), reverse=True)
    for bindir in candidates:
        version = Path(bindir).parent.name
        if int(version) < 15 or not Path(bindir, "initdb").exists():
            continue
        if glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
            return Path(bindir)
    if candidates:
        raise Unavailable("PostgreSQL is installed but PostGIS 3 is not", hint=INSTALL_HINT)
    raise Unavailable("PostgreSQL 15+ with PostGIS 3 is not installed", hint=INSTALL_HINT)


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def free_port(start: int = 55432) -> int:
    """A free local port, from ``start`` upwards."""
    for port in range(start, start + 500):
        if port_is_free(port):
            return port
    raise Unavailable("no free local port found for PostgreSQL",
                      hint="free a port from 55432 upwards, or set STRATA_DATABASE_URL")


def cluster_root(project_root: Path) -> Path:
    """Where the project-local cluster lives: ``.strata/pg`` in the project.

    As root, the server runs as ``postgres``, which must be able to reach that folder; when
    it cannot (a project under /root, say), the cluster lives in /var/lib/strata instead.
    """
    root = project_root / ".strata" / "pg"
    if os.geteuid() != 0:
        return root
    probe = subprocess.run(["test", "-x", str(project_root)], user=server_user(),
                           capture_output=True)
    if probe.returncode == 0:
        return root
    import hashlib

    digest = hashlib.sha1(str(project_root).encode()).hexdigest()[:12]
    return Path("/var/lib/strata") / digest
