"""Create the reference data every install needs (idempotent), for each installed app
with a `reference_data.py` defining `setup() -> list[str]` (today the licenses'
products; later plans, pipeline stages, default promo codes). Part of the deploy
steps after `migrate`; the data migrations create the same rows."""

import importlib
import importlib.util

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create the missing reference data (products...). Safe to run on every deploy."

    def handle(self, *args, **options):
        created = []
        with transaction.atomic():
            for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
                if importlib.util.find_spec(f"{config.name}.reference_data") is not None:
                    created.extend(importlib.import_module(f"{config.name}.reference_data").setup())
        for item in created:
            self.stdout.write(f"created {item}")
        self.stdout.write(self.style.SUCCESS(f"Reference data up to date ({len(created)} created)."))
