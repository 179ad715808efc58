"""Dump the database to BACKUP_DIR now, with its checksum, then rotate (as the nightly job)."""

from django.core.management.base import BaseCommand, CommandError

from core import backups


class Command(BaseCommand):
    help = "Dump the PostgreSQL database to BACKUP_DIR (custom format + .sha256) and rotate old dumps."

    def handle(self, *args, **options):
        try:
            backup, deleted = backups.backup_run()
        except backups.BackupError as exc:
            raise CommandError(exc.message)
        for path in deleted:
            self.stderr.write(f"deleted {path}")
        self.stderr.write(self.style.SUCCESS(f"{backup.size} bytes, sha256 {backup.sha256}"))
        # The path alone on stdout, for scripts (e.g. a copy right after the dump).
        self.stdout.write(str(backup.path))
