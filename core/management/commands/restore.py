"""Restore a dump made by `manage.py backup`, after checking its checksum."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import backups

# Read from the environment, not from a command-line argument: every user of the machine
# can read a process's arguments (ps, /proc), and the URL carries the password. Not a
# Django setting either, so it never shows on a debug page.
DATABASE_URL_ENV = "RESTORE_DATABASE_URL"


class Command(BaseCommand):
    help = (
        "Restore a backup (pg_restore --clean --if-exists --no-owner) into the live database (needs --yes) "
        "or into another existing database: --target-db NAME (same server and credentials as DATABASES), "
        f"or a URL in the {DATABASE_URL_ENV} environment variable."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The .dump file; its .sha256 must be beside it.")
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--target-db", help="Name of an existing database on the live database's server.")
        target.add_argument(
            "--database-url",
            help=(
                "postgres://user:password@host:port/name of an existing database. Other users of the machine "
                f"can read it (ps): prefer --target-db or the {DATABASE_URL_ENV} environment variable."
            ),
        )
        parser.add_argument("--yes", action="store_true", help="Confirm a restore over the live database.")

    def handle(self, *args, file, database_url, target_db, yes, **options):
        try:
            live = backups.Target.from_settings(settings.DATABASES["default"])
            if database_url:
                target = backups.Target.from_url(database_url)
                if target.password:
                    self.stderr.write(
                        self.style.WARNING(
                            f"The password in --database-url is visible to other users of this machine; "
                            f"use {DATABASE_URL_ENV} or --target-db next time."
                        )
                    )
            elif target_db:
                target = live.named(target_db)
            elif os.environ.get(DATABASE_URL_ENV):
                target = backups.Target.from_url(os.environ[DATABASE_URL_ENV])
            else:
                target = live
            backups.backup_restore(path=file, target=target, live=live, confirmed=yes)
        except backups.BackupError as exc:
            raise CommandError(exc.message)
        self.stderr.write(self.style.SUCCESS(f"{file.name} restored into {target.name}."))
