"""PostgreSQL backups: a custom-format dump with its checksum, rotation, and a restore
that checks the checksum before touching anything.

`manage.py backup`, the nightly beat task and `manage.py restore` call these functions.
pg_dump and pg_restore run as subprocesses with the connection of settings.DATABASES;
the password goes through PGPASSWORD, never the command line, because every user of
the machine can read every process's arguments (ps, /proc).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess  # noqa: S404 - pg_dump/pg_restore, argument lists only, never a shell
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import environ
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import DomainError

SUFFIX = ".dump"
CHECKSUM_SUFFIX = ".sha256"
PARTIAL_SUFFIX = ".partial"
# UTC in the name, so the order of the names is the order of the backups whatever the
# server's time zone, and a copied file (new mtime) keeps its date.
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
NAME_RE = re.compile(r"^(?P<database>.+)-(?P<stamp>\d{8}T\d{6}Z)\.dump$")
# Temporary files of a pg_dump killed mid-way (machine restart) are removed after this.
STALE_PARTIAL = timedelta(days=1)
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
# libpq reads these from the environment; DATABASES["default"]["OPTIONS"] may set them.
SSL_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}


class BackupError(DomainError):
    """A backup or restore that was refused or failed; the message says what to do."""


@dataclass(frozen=True)
class Target:
    """One PostgreSQL database, as the client tools (pg_dump, pg_restore) reach it."""

    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings(cls, database: Mapping) -> Target:
        engine = database.get("ENGINE", "")
        if "postgresql" not in engine:
            raise BackupError(
                "BACKUP_UNSUPPORTED_DATABASE",
                _(
                    "Les sauvegardes et restaurations demandent PostgreSQL (moteur configuré : %(engine)s). "
                    "La base SQLite de la démo est un seul fichier : arrêtez le serveur et copiez-le."
                )
                % {"engine": engine or "?"},
            )
        options = database.get("OPTIONS") or {}
        return cls(
            name=str(database["NAME"]),
            host=str(database.get("HOST") or ""),
            port=str(database.get("PORT") or ""),
            user=str(database.get("USER") or ""),
            password=str(database.get("PASSWORD") or ""),
            options=tuple((key, str(options[key])) for key in SSL_ENV if options.get(key)),
        )

    @classmethod
    def from_url(cls, url: str) -> Target:
        try:
            config = environ.Env.db_url_config(url)
        except Exception as exc:
            raise BackupError(
                "BACKUP_BAD_DATABASE_URL", _("URL de base de données invalide : %(error)s") % {"error": exc}
            )
        return cls.from_settings(config)

    def named(self, name: str) -> Target:
        """Another database on the same server, with the same credentials."""
        return replace(self, name=name)

    def is_same_database(self, other: Target) -> bool:
        def host(t: Target) -> str:
            # Every spelling of "this machine" counts as the same server: when in doubt,
            # the restore is treated as one over the live database and asks for --yes.
            return "local" if t.host in LOCAL_HOSTS or t.host.startswith("/") else t.host

        return (self.name, host(self), self.port or "5432") == (other.name, host(other), other.port or "5432")

    def args(self) -> list[str]:
        pairs = [("--host", self.host), ("--port", self.port), ("--username", self.user), ("--dbname", self.name)]
        return [f"{flag}={value}" for flag, value in pairs if value]

    def env(self) -> dict[str, str]:
        env = {**os.environ, "PGAPPNAME": "platform-backup"}
        # Never prompt (no terminal under Celery): fail with libpq's message instead.
        env.pop("PGPASSWORD", None)
        if self.password:
            env["PGPASSWORD"] = self.password
        for key, value in self.options:
            env[SSL_ENV[key]] = value
        return env


@dataclass(frozen=True)
class Backup:
    path: Path
    sha256: str
    size: int
    created_at: datetime


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            "BACKUP_TOOL_MISSING",
            _(
                "%(tool)s est introuvable : installez le paquet postgresql-client de la même version "
                "majeure que le serveur (par exemple postgresql-client-15)."
            )
            % {"tool": name},
        )
    return path


def _run(args: list[str], *, target: Target, code: str) -> None:
    # subprocess.run kills the child if this process is interrupted (Celery's soft time limit).
    result = subprocess.run(args, env=target.env(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()[-2000:]
        hint = ""
        if "version mismatch" in output:
            hint = " " + _("Installez les outils clients de la même version majeure que le serveur PostgreSQL.")
        elif f'database "{target.name}" does not exist' in output:
            hint = " " + _("Créez d'abord la base vide (createdb %(name)s).") % {"name": target.name}
        raise BackupError(code, f"{output}{hint}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}{PARTIAL_SUFFIX}")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def backup_create(*, directory: Path, database: Mapping, now: datetime | None = None) -> Backup:
    """Dump `database` (a DATABASES entry) to `directory`/<name>-<UTC timestamp>.dump.

    The dump is written to a hidden temporary file and renamed only once pg_dump has
    succeeded and its checksum file exists, so a visible .dump is always complete and
    verifiable (a copy job running at the same time never picks up half a file).
    """
    target = Target.from_settings(database)
    pg_dump = _tool("pg_dump")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{target.name}-{now.strftime(TIMESTAMP_FORMAT)}{SUFFIX}"
    if path.exists():
        raise BackupError("BACKUP_EXISTS", _("La sauvegarde %(path)s existe déjà.") % {"path": path})
    tmp = directory / f".{path.name}{PARTIAL_SUFFIX}"
    # Created owner-only before pg_dump writes to it (pg_dump keeps the mode of an
    # existing file): a dump holds every customer's personal data.
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        _run(
            [pg_dump, "--format=custom", "--no-password", f"--file={tmp}", *target.args()],
            target=target,
            code="BACKUP_FAILED",
        )
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        sha256 = _sha256(tmp)
        # sha256sum's format: `cd <dir> && sha256sum -c <file>.sha256` checks it by hand.
        _write_atomically(path.with_name(path.name + CHECKSUM_SUFFIX), f"{sha256}  {path.name}\n".encode())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return Backup(path=path, sha256=sha256, size=path.stat().st_size, created_at=now)


def backups_rotate(
    *, directory: Path, database_name: str, keep_days: int, keep_count: int, now: datetime | None = None
) -> list[Path]:
    """Delete the backups of `database_name` older than `keep_days` or beyond the
    `keep_count` newest, with their checksum files; returns the deleted dumps.

    The newest backup is never deleted, whatever its age: if the nightly job stopped
    working for weeks, the last good backup must still be there when someone notices.
    Files whose name does not follow the pattern (a copy made by hand) are left alone.
    """
    if keep_days < 1 or keep_count < 1:
        raise BackupError("BACKUP_BAD_RETENTION", _("BACKUP_KEEP_DAYS et BACKUP_KEEP_COUNT doivent valoir au moins 1."))
    now = (now or datetime.now(UTC)).astimezone(UTC)
    directory = Path(directory)
    if not directory.is_dir():
        return []
    backups: list[tuple[datetime, Path]] = []
    for path in directory.iterdir():
        match = NAME_RE.match(path.name)
        if match and match["database"] == database_name:
            stamp = datetime.strptime(match["stamp"], TIMESTAMP_FORMAT).replace(tzinfo=UTC)
            backups.append((stamp, path))
        elif path.name.endswith(PARTIAL_SUFFIX) and path.name.startswith("."):
            modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if modified < now - STALE_PARTIAL:
                path.unlink(missing_ok=True)
    backups.sort(reverse=True)
    cutoff = now - timedelta(days=keep_days)
    deleted = []
    for index, (stamp, path) in enumerate(backups[1:], start=1):
        if index >= keep_count or stamp < cutoff:
            path.with_name(path.name + CHECKSUM_SUFFIX).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            deleted.append(path)
    return deleted


def backup_run() -> tuple[Backup, list[Path]]:
    """The nightly job and `manage.py backup`: dump the default database to BACKUP_DIR,
    then rotate with BACKUP_KEEP_DAYS and BACKUP_KEEP_COUNT."""
    backup = backup_create(directory=Path(settings.BACKUP_DIR), database=settings.DATABASES["default"])
    deleted = backups_rotate(
        directory=backup.path.parent,
        database_name=Target.from_settings(settings.DATABASES["default"]).name,
        keep_days=settings.BACKUP_KEEP_DAYS,
        keep_count=settings.BACKUP_KEEP_COUNT,
        now=backup.created_at,
    )
    return backup, deleted


def backup_verify(*, path: Path) -> str:
    """Check `path` against its .sha256 file; returns the checksum or raises BackupError."""
    path = Path(path)
    checksum_path = path.with_name(path.name + CHECKSUM_SUFFIX)
    if not path.is_file():
        raise BackupError("BACKUP_NOT_FOUND", _("Fichier de sauvegarde introuvable : %(path)s") % {"path": path})
    if not checksum_path.is_file():
        raise BackupError(
            "BACKUP_CHECKSUM_MISSING",
            _("Somme de contrôle introuvable (%(path)s) : impossible de vérifier la sauvegarde.")
            % {"path": checksum_path},
        )
    expected = (checksum_path.read_text().split() or [""])[0].lower()
    actual = _sha256(path)
    if actual != expected:
        raise BackupError(
            "BACKUP_CHECKSUM_MISMATCH",
            _("La sauvegarde %(path)s est corrompue : sa somme SHA-256 ne correspond pas à %(checksum)s.")
            % {"path": path, "checksum": checksum_path.name},
            details={"expected": expected, "actual": actual},
        )
    return actual


def backup_restore(*, path: Path, target: Target, live: Target, confirmed: bool) -> None:
    """Restore the dump at `path` into `target` (an existing database).

    The checksum is checked first, so a corrupted or truncated file never reaches the
    database. Restoring over the live database needs `confirmed`: it replaces every
    table. --single-transaction makes a failed restore change nothing.
    """
    backup_verify(path=path)
    if target.is_same_database(live) and not confirmed:
        raise BackupError(
            "RESTORE_NEEDS_CONFIRMATION",
            _(
                "La cible %(name)s est la base en service : toutes ses tables seront remplacées. "
                "Arrêtez le site et les workers, puis relancez avec --yes, ou restaurez dans une autre "
                "base (--target-db)."
            )
            % {"name": target.name},
        )
    pg_restore = _tool("pg_restore")
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--no-password",
            *target.args(),
            str(path),
        ],
        target=target,
        code="RESTORE_FAILED",
    )
