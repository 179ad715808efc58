"""Backups: a real pg_dump of the test database restored into a scratch database with
pg_restore, checksums, rotation, and the refusals that protect the live database."""

import hashlib
import io
import os
import shutil
import stat
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql

from core import backups
from licenses import reference_data
from licenses.models import License, LicenseEvent
from licenses.services import activation_codes_generate, license_activate, license_revoke, license_trial_create
from revisions.models import Revision
from tests.factories import make_rental, make_revision

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def _live() -> backups.Target:
    return backups.Target.from_settings(settings.DATABASES["default"])


def _connect(name: str) -> psycopg.Connection:
    live = _live()
    return psycopg.connect(
        dbname=name, host=live.host or None, port=live.port or None, user=live.user or None, password=live.password
    )


def _table_counts(name: str) -> dict[str, int]:
    with _connect(name) as conn:
        tables = [row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        count = sql.SQL("SELECT count(*) FROM {}")
        return {table: conn.execute(count.format(sql.Identifier(table))).fetchone()[0] for table in sorted(tables)}


@pytest.fixture
def scratch_db(transactional_db):
    """An empty database next to the test database, dropped afterwards."""
    name = f"{settings.DATABASES['default']['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def backup_dir(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    return settings.BACKUP_DIR


def _some_data():
    reference_data.setup()
    revision = make_revision(client_name="Aminata Diallo")
    make_rental()
    trial = license_trial_create(product_slug="easyfacture", machine_id="a" * 32, email="essai@example.com")
    license_revoke(license=trial, reason="Clé partagée")
    code = activation_codes_generate(
        product=trial.product, license_type="annual", duration_days=365, count=1, notes="backup test"
    )[0]
    paid = license_activate(machine_id="b" * 32, activation_code=code.code, email="client@example.com")
    return revision, paid


def test_a_backup_restores_into_another_database_with_every_row(backup_dir, scratch_db):
    # given: data in several domains
    revision, paid = _some_data()

    # when: the backup command dumps, and restore loads the dump into the scratch database
    out = io.StringIO()
    call_command("backup", stdout=out, stderr=io.StringIO())
    path = Path(out.getvalue().strip())
    call_command("restore", str(path), "--target-db", scratch_db, stderr=io.StringIO())

    # then: every table has the same number of rows, and the rows are the same
    live_counts = _table_counts(settings.DATABASES["default"]["NAME"])
    assert live_counts["revisions_revision"] == 1 and live_counts["licenses_license"] == 2
    assert _table_counts(scratch_db) == live_counts
    with _connect(scratch_db) as conn:
        assert conn.execute(
            "SELECT r.client_name, t.number FROM revisions_revision r"
            " JOIN tracking_trackeditem t ON t.id = r.tracking_id WHERE r.id = %s",
            [revision.pk],
        ).fetchone() == ("Aminata Diallo", Revision.objects.get(pk=revision.pk).tracking.number)
        assert conn.execute(
            "SELECT license_key, license_type, email FROM licenses_license WHERE id = %s", [paid.pk]
        ).fetchone() == tuple(License.objects.filter(pk=paid.pk).values_list("license_key", "license_type", "email")[0])
        actions = sorted(row[0] for row in conn.execute("SELECT action FROM licenses_licenseevent"))
        assert actions == sorted(LicenseEvent.objects.values_list("action", flat=True))
        assert "revoked" in actions


def test_restore_takes_its_target_url_from_restore_database_url_password_out_of_the_arguments(
    backup_dir, scratch_db, monkeypatch
):
    # given: a backup, and the scratch database's URL (with a password) in the environment
    _some_data()
    backup, _ = backups.backup_run()
    live = _live()
    password = live.password or "ignored-by-trust-auth"
    url = f"postgres://{live.user}:{password}@{live.host or '127.0.0.1'}:{live.port or 5432}/{scratch_db}"
    monkeypatch.setenv("RESTORE_DATABASE_URL", url)
    calls = []
    real_run = subprocess.run

    def spy(args, **kwargs):
        calls.append((args, kwargs["env"]))
        return real_run(args, **kwargs)

    monkeypatch.setattr(backups.subprocess, "run", spy)

    # when: restore is run without any target option
    err = io.StringIO()
    call_command("restore", str(backup.path), stderr=err)

    # then: the scratch database got every row, the live one was not asked for --yes, and
    # the password reached pg_restore through PGPASSWORD only
    assert f"restored into {scratch_db}" in err.getvalue()
    assert _table_counts(scratch_db) == _table_counts(live.name)
    [(args, env)] = calls
    assert f"--dbname={scratch_db}" in args
    assert not any(password in arg for arg in args)
    assert env["PGPASSWORD"] == password


def test_the_dump_has_a_sha256sum_file_and_is_readable_by_its_owner_only(backup_dir, transactional_db):
    backup, deleted = backups.backup_run()

    assert backup.path.parent == backup_dir and deleted == []
    assert backup.path.name.startswith(f"{settings.DATABASES['default']['NAME']}-")
    assert backups.NAME_RE.match(backup.path.name)
    checksum = (backup_dir / f"{backup.path.name}.sha256").read_text()
    assert checksum == f"{hashlib.sha256(backup.path.read_bytes()).hexdigest()}  {backup.path.name}\n"
    # The checksum file is what `sha256sum -c` reads.
    sha256sum = [shutil.which("sha256sum"), "--check", "--quiet", f"{backup.path.name}.sha256"]
    subprocess.run(sha256sum, cwd=backup_dir, check=True)
    assert stat.S_IMODE(backup.path.stat().st_mode) == 0o600
    assert sorted(p.name for p in backup_dir.iterdir()) == [backup.path.name, f"{backup.path.name}.sha256"]


def test_a_corrupted_dump_fails_its_checksum_and_the_target_is_left_untouched(backup_dir, scratch_db):
    backup, _ = backups.backup_run()
    data = bytearray(backup.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup.path.write_bytes(bytes(data))

    with pytest.raises(backups.BackupError) as exc:
        backups.backup_restore(path=backup.path, target=_live().named(scratch_db), live=_live(), confirmed=True)

    assert exc.value.code == "BACKUP_CHECKSUM_MISMATCH"
    assert _table_counts(scratch_db) == {}
    with pytest.raises(CommandError, match="corrompue"):
        call_command("restore", str(backup.path), "--target-db", scratch_db)


def test_a_dump_without_its_checksum_file_is_not_restored(backup_dir, scratch_db):
    backup, _ = backups.backup_run()
    (backup_dir / f"{backup.path.name}.sha256").unlink()

    with pytest.raises(backups.BackupError) as exc:
        backups.backup_restore(path=backup.path, target=_live().named(scratch_db), live=_live(), confirmed=True)
    assert exc.value.code == "BACKUP_CHECKSUM_MISSING"


def test_restoring_over_the_live_database_needs_yes(backup_dir, transactional_db):
    reference_data.setup()
    backup, _ = backups.backup_run()

    for args in ([], ["--target-db", settings.DATABASES["default"]["NAME"]]):
        with pytest.raises(CommandError, match="--yes"):
            call_command("restore", str(backup.path), *args)
    live = _live()
    url = f"postgres://{live.user}@localhost:{live.port or 5432}/{live.name}"
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(backup.path), "--database-url", url)


def test_a_failed_dump_leaves_no_file_behind(tmp_path):
    database = {**settings.DATABASES["default"], "NAME": f"missing_{uuid.uuid4().hex[:8]}"}

    with pytest.raises(backups.BackupError) as exc:
        backups.backup_create(directory=tmp_path, database=database, now=NOW)

    assert exc.value.code == "BACKUP_FAILED" and "does not exist" in exc.value.message
    assert list(tmp_path.iterdir()) == []


def test_sqlite_is_refused_with_an_explanation(tmp_path):
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "demo.sqlite3")}

    with pytest.raises(backups.BackupError) as exc:
        backups.backup_create(directory=tmp_path, database=sqlite, now=NOW)

    assert exc.value.code == "BACKUP_UNSUPPORTED_DATABASE"
    assert "SQLite" in exc.value.message and "copiez" in exc.value.message


def test_the_password_goes_through_the_environment_never_the_command_line(tmp_path, monkeypatch):
    seen = {}

    def fake_run(args, *, env, **kwargs):
        seen.update(args=args, env=env)
        Path(next(a for a in args if a.startswith("--file=")).removeprefix("--file=")).write_bytes(b"PGDMP")
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(backups.subprocess, "run", fake_run)
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": "app", "USER": "app", "PASSWORD": "s3cr3t-pw"}

    backups.backup_create(directory=tmp_path, database=database, now=NOW)

    assert not any("s3cr3t-pw" in arg for arg in seen["args"])
    assert seen["env"]["PGPASSWORD"] == "s3cr3t-pw"
    assert "--format=custom" in seen["args"] and "--dbname=app" in seen["args"]
    assert "s3cr3t-pw" not in repr(backups.Target.from_settings(database))


def _touch_backup(directory: Path, stamp: datetime, name: str = "platform") -> Path:
    path = directory / f"{name}-{stamp.strftime(backups.TIMESTAMP_FORMAT)}.dump"
    path.write_bytes(b"dump")
    path.with_name(path.name + ".sha256").write_text("x")
    return path


def test_rotation_drops_backups_past_the_age_or_the_count_with_their_checksums(tmp_path):
    nightly = [_touch_backup(tmp_path, NOW - timedelta(days=d)) for d in range(20)]
    other_database = _touch_backup(tmp_path, NOW - timedelta(days=100), name="other")
    by_hand = tmp_path / "before-upgrade.dump"
    by_hand.write_bytes(b"dump")

    deleted = backups.backups_rotate(directory=tmp_path, database_name="platform", keep_days=14, keep_count=5, now=NOW)

    # The five newest stay (count); 14 days would have kept more.
    assert sorted(deleted) == sorted(nightly[5:])
    remaining = sorted(p.name for p in tmp_path.iterdir())
    assert remaining == sorted(
        [p.name for p in nightly[:5]]
        + [f"{p.name}.sha256" for p in nightly[:5]]
        + [other_database.name, f"{other_database.name}.sha256", by_hand.name]
    )


def test_rotation_by_age_keeps_the_recent_ones(tmp_path):
    nightly = [_touch_backup(tmp_path, NOW - timedelta(days=d)) for d in range(20)]

    deleted = backups.backups_rotate(directory=tmp_path, database_name="platform", keep_days=14, keep_count=30, now=NOW)

    # Day 14 is exactly at the cutoff and kept; older ones go.
    assert sorted(deleted) == sorted(nightly[15:])


def test_rotation_never_deletes_the_newest_backup_however_old(tmp_path):
    only = [_touch_backup(tmp_path, NOW - timedelta(days=d)) for d in (60, 90)]

    deleted = backups.backups_rotate(directory=tmp_path, database_name="platform", keep_days=14, keep_count=14, now=NOW)

    assert deleted == [only[1]]
    assert only[0].exists()


def test_rotation_removes_only_stale_temporary_files(tmp_path):
    stale, fresh = tmp_path / ".platform-old.dump.partial", tmp_path / ".platform-now.dump.partial"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    two_days_ago = (NOW - timedelta(days=2)).timestamp()
    os.utime(stale, (two_days_ago, two_days_ago))

    backups.backups_rotate(directory=tmp_path, database_name="platform", keep_days=14, keep_count=14, now=NOW)

    assert not stale.exists() and fresh.exists()


def test_the_nightly_beat_job_runs_the_same_backup(backup_dir, transactional_db):
    from core.tasks import backup_database

    entry = settings.CELERY_BEAT_SCHEDULE["core-backup-database"]
    assert entry["task"] == "core.backup_database"
    assert entry["schedule"] == crontab(hour=2, minute=0)

    path = Path(backup_database.delay().get())

    assert path.parent == backup_dir and path.with_name(path.name + ".sha256").exists()
    backups.backup_verify(path=path)
