"""Restore a dump made by `manage.py backup`, after checking its checksum."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import backups


class Command(BaseCommand):
    help = (
        "Restore a backup (pg_restore --clean --if-exists --no-owner) into the live database (needs --yes) "
        "or into another existing database (--target-db NAME on the same server, or --database-url URL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The .dump file; its .sha256 must be beside it.")
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--database-url", help="postgres://user:password@host:port/name of an existing database.")
        target.add_argument("--target-db", help="Name of an existing database on the live database's server.")
        parser.add_argument("--yes", action="store_true", help="Confirm a restore over the live database.")

    def handle(self, *args, file, database_url, target_db, yes, **options):
        try:
            live = backups.Target.from_settings(settings.DATABASES["default"])
            if database_url:
                target = backups.Target.from_url(database_url)
            elif target_db:
                target = live.named(target_db)
            else:
                target = live
            backups.backup_restore(path=file, target=target, live=live, confirmed=yes)
        except backups.BackupError as exc:
            raise CommandError(exc.message)
        self.stderr.write(self.style.SUCCESS(f"{file.name} restored into {target.name}."))
