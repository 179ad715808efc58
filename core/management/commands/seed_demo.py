"""Idempotent demo data for every service, and an admin account for the demo.

Each installed app may have a `demo.py` with `seed() -> list[str]` returning the
tracking numbers worth trying, and optionally `notes() -> list[str]` (e.g. a signed
link to try); this command runs them all, prints the notes on stderr and the
numbers one per line on stdout. Running it twice creates nothing new.
"""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from core.discovery import app_modules


class Command(BaseCommand):
    help = "Create demo data (idempotent) and print tracking numbers to try."

    def handle(self, *args, **options):
        password = self._ensure_admin()
        numbers, notes = [], []
        for module in app_modules("demo"):
            numbers.extend(module.seed())
            notes.extend(module.notes() if hasattr(module, "notes") else [])
        self.stderr.write(self.style.SUCCESS(f"Demo admin: /{settings.ADMIN_URL} user admin, password {password}"))
        for note in notes:
            self.stderr.write(note)
        self.stderr.write("Tracking numbers to try (one per line on stdout):")
        for number in numbers:
            self.stdout.write(number)

    def _ensure_admin(self) -> str:
        # The well-known password is for the local demo only; elsewhere it must be given
        # (DEMO_ADMIN_PASSWORD) or a random one is generated and printed once.
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or ("admin" if settings.DEBUG else secrets.token_urlsafe(12))
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username="admin", defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True}
        )
        if created or os.environ.get("DEMO_ADMIN_PASSWORD") or settings.DEBUG:
            user.set_password(password)
            user.save()
            return password
        return "(inchangé)"
