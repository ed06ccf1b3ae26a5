# SPDX-License-Identifier: EUPL-1.2
"""A project-local streaming standby of the local cluster, for development and tests.

``strata db replica up`` makes it once with ``pg_basebackup -R`` (a physical copy that
follows the primary's WAL by streaming replication) under ``<cluster>/standby``, on a port
of its own, then starts it; ``--apply-delay`` sets ``recovery_min_apply_delay`` (a standby
that lags on purpose, to see reads fall back to the primary). It shares the primary's roles
and passwords (a physical copy): the URL it prints, as ``strata_reader``, goes into
``STRATA_READ_URLS``. ``down`` stops it (its data stays); ``status`` tells how far behind the
primary it is.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from geo.errors import InvalidInput, Unavailable
from services.localdb import LocalCluster, find_bindir

SETTINGS_FILE = "strata_standby.conf"
REPLICATION_RULE = "host replication strata 127.0.0.1/32 scram-sha-256"


@dataclass(frozen=True)
class LocalStandby(LocalCluster):
    """The standby of ``primary``, rooted at ``primary.root / "standby"``."""

    primary: LocalCluster = None  # type: ignore[assignment]

    @classmethod
    def of(cls, primary: LocalCluster) -> LocalStandby:
        """The standby of the local cluster ``primary``."""
        return cls(primary.root / "standby", primary)

    def up(self, apply_delay: str | None = None) -> str:  # type: ignore[override]
        """Make (from the running primary) and start the standby; return its owner URL.
        ``apply_delay`` (e.g. ``"5s"``, ``"0"``) sets how long it waits before applying
        what it received; None keeps the last setting."""
        if apply_delay is not None and not re.fullmatch(r"\d{1,6}(ms|s|min)?", apply_delay):
            raise InvalidInput(f"--apply-delay {apply_delay!r} is not a duration",
                               hint="give a number of ms, s or min: 0, 500ms, 5s, 1min")
        bindir = find_bindir()
        if self.primary.status() != "running":
            raise Unavailable("the local primary is not running",
                              hint="start it first: `strata db up`")
        if not (self.data / "PG_VERSION").exists():
            self._copy_primary(bindir)
        if apply_delay is not None or not (self.data / SETTINGS_FILE).exists():
            self._settings(apply_delay or "0")
        if self._running_pid() and apply_delay is not None:
            self._run([str(bindir / "pg_ctl"), "-D", str(self.data), "reload"],
                      what="reload the standby")
        if not self._running_pid():
            self._start(bindir)
        self._wait_ready()
        return self.url()

    def _copy_primary(self, bindir: Path) -> None:
        self._allow_replication()
        self.root.mkdir(parents=True, exist_ok=True)
        if self.data.exists():
            shutil.rmtree(self.data)  # a half-made copy from an interrupted backup
        self._chown(self.root)
        shutil.copy(self.primary.password_file, self.password_file)
        self._chown(self.password_file)
        port = self.primary.port()
        self._run([str(bindir / "pg_basebackup"), "-D", str(self.data), "-h", "127.0.0.1",
                   "-p", str(port), "-U", "strata", "-R", "-X", "stream", "-c", "fast",
                   "--no-password"],
                  what="copy the primary (pg_basebackup)",
                  env={"PGPASSWORD": self.primary.password() or ""})
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\n# strata: a streaming standby\ninclude_if_exists '{SETTINGS_FILE}'\n")

    def _allow_replication(self) -> None:
        """The primary lets its owner connect for replication on loopback (a cluster made
        before standbys were offered has no such rule)."""
        hba = self.primary.data / "pg_hba.conf"
        rules = [line.split() for line in hba.read_text().splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
        if any(len(r) > 2 and r[0] == "host" and r[1] == "replication" for r in rules):
            return
        with open(hba, "a", encoding="utf-8") as out:
            out.write(f"# strata: streaming standbys (strata db replica)\n{REPLICATION_RULE}\n")
        self._run([str(find_bindir() / "pg_ctl"), "-D", str(self.primary.data), "reload"],
                  what="reload the primary")

    def _settings(self, apply_delay: str) -> None:
        path = self.data / SETTINGS_FILE
        path.write_text(
            "# strata: the standby's own settings (strata db replica up rewrites this file)\n"
            "hot_standby = on\n"
            # the primary keeps what a standby's running query still reads: fewer
            # cancellations of reads by recovery
            "hot_standby_feedback = on\n"
            "max_standby_streaming_delay = 5s\n"
            f"recovery_min_apply_delay = '{apply_delay}'\n")
        self._chown(path)

    def _wait_ready(self) -> None:
        import time

        import psycopg

        deadline = time.monotonic() + 60
        last = ""
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.url("postgres"), autocommit=True,
                                     connect_timeout=5) as conn:
                    if conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,):
                        return
                    raise Unavailable("the local standby is not in recovery (promoted?)",
                                      hint=f"remove {self.root} and run "
                                           "`strata db replica up` again")
            except psycopg.OperationalError as exc:
                last = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
                time.sleep(0.2)
        raise Unavailable(f"the local standby does not answer ({last}); see {self.log}",
                          hint="`strata db replica status` tells its state")

    def lag(self) -> dict[str, object]:
        """How far behind the primary the standby is: bytes not replayed yet, and the age
        of the last transaction it replayed."""
        import psycopg

        with psycopg.connect(self.primary.url("postgres"), autocommit=True,
                             connect_timeout=5) as conn:
            head = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as conn:
            behind, age, delay = conn.execute(
                "SELECT (%s::pg_lsn - pg_last_wal_replay_lsn())::bigint, "
                "extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8, "
                "current_setting('recovery_min_apply_delay')", (head,)).fetchone()  # type: ignore[misc]
        return {"bytes_behind": max(0, int(behind or 0)), "last_replay_age_s": age,
                "apply_delay": delay}

    def _first_port(self) -> int:
        return (self.primary.port() or 55432) + 1

    def remove(self) -> None:
        """Stop the standby and delete it (``strata db replica up`` makes it anew)."""
        self.down()
        shutil.rmtree(self.root, ignore_errors=True)
