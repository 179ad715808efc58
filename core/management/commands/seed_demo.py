"""Idempotent demo data for every service, and an admin account for the demo.

Each installed app may have a `demo.py` with `seed() -> core.seeding.DemoSeed`: the items
worth trying (number, service, state, what to try) and notes (a signed link, codes).
This command runs them all and prints, once, at the end, a table of the items and the
notes, so it stays readable below the e-mails the demo prints while seeding (stderr).
Running it again creates nothing new, except what trying the demo used up (the quote
to accept is made again once it has been answered).
"""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from core.discovery import app_modules
from core.seeding import DemoSeed, table


class Command(BaseCommand):
    help = "Create demo data (idempotent) and print what to try."

    def handle(self, *args, **options):
        password = self._ensure_admin()
        seeded = DemoSeed()
        for module in app_modules("demo"):
            part = module.seed()
            seeded.items.extend(part.items)
            seeded.notes.extend(part.notes)
        site = settings.SITE_URL.rstrip("/")
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS(_("Démo prête : %(site)s/") % {"site": site}))
        out.write(
            _("Administration : %(site)s/%(admin)s (utilisateur admin, mot de passe %(password)s)")
            % {"site": site, "admin": settings.ADMIN_URL, "password": password}
        )
        out.write("")
        out.write(table(seeded.items, headers=(_("Numéro"), _("Service"), _("État"), _("À essayer"))))
        out.write("")
        for note in seeded.notes:
            out.write(note)

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
        return _("(inchangé)")
