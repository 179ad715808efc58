"""Create the reference data every install needs (idempotent), for each installed app
with a `reference_data.py` defining `setup() -> list[str]` (today the licenses'
products; later plans, pipeline stages, default promo codes). Part of the deploy
steps after `migrate`; the data migrations create the same rows."""

from django.core.management.base import BaseCommand
from django.db import transaction

from core.discovery import app_modules


class Command(BaseCommand):
    help = "Create the missing reference data (products...). Safe to run on every deploy."

    def handle(self, *args, **options):
        created = []
        with transaction.atomic():
            for module in app_modules("reference_data"):
                created.extend(module.setup())
        for item in created:
            self.stdout.write(f"created {item}")
        self.stdout.write(self.style.SUCCESS(f"Reference data up to date ({len(created)} created)."))
