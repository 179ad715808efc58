"""Per-app modules found by convention (`<app>/demo.py`, `<app>/reference_data.py`), so a
new domain plugs into `seed_demo` and `setup_reference_data` without editing them."""

import importlib
import importlib.util
from collections.abc import Iterator
from types import ModuleType

from django.apps import apps


def app_modules(name: str) -> Iterator[ModuleType]:
    """Each installed app's `<app>.<name>` module, in app-label order."""
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        if importlib.util.find_spec(f"{config.name}.{name}") is not None:
            yield importlib.import_module(f"{config.name}.{name}")
