"""Reference data: what a production install needs comes from migrations and
`setup_reference_data`, not from the demo seed."""

import importlib
import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from licenses.models import ActivationCode, License, Product

ROOT = Path(__file__).resolve().parent.parent
MIGRATION = "0003_reference_data_easyfacture_product"


def _admin_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres",
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        autocommit=True,
    )


def test_a_freshly_migrated_database_has_the_easyfacture_product():
    # A database of its own: the test database is reused between runs and flushed by
    # transactional tests, so only a new one shows what `migrate` alone creates.
    name = f"{settings.DATABASES['default']['NAME']}_fresh_{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT slug, name, trial_days, is_active FROM licenses_product").fetchall()
        assert rows == [("easyfacture", "EasyFacture", 30, True)]
    finally:
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
def test_the_data_migration_creates_the_product_and_is_idempotent():
    Product.objects.filter(slug="easyfacture").delete()
    migration = importlib.import_module(f"licenses.migrations.{MIGRATION}")
    historical = MigrationExecutor(connection).loader.project_state(("licenses", MIGRATION)).apps

    migration.create_reference_data(historical, None)
    migration.create_reference_data(historical, None)

    product = Product.objects.get(slug="easyfacture")
    assert (product.name, product.trial_days, product.is_active) == ("EasyFacture", 30, True)
    # Empty: the renewal link comes from LICENSE_RENEWAL_URL.
    assert product.renewal_url == ""
    assert Product.objects.count() == 1


@pytest.mark.django_db
def test_setup_reference_data_twice_creates_nothing_new_and_keeps_admin_edits():
    Product.objects.filter(slug="easyfacture").delete()

    first = io.StringIO()
    call_command("setup_reference_data", stdout=first)
    Product.objects.filter(slug="easyfacture").update(name="EasyFacture Pro", trial_days=15)
    second = io.StringIO()
    call_command("setup_reference_data", stdout=second)

    assert "created licenses.Product easyfacture" in first.getvalue()
    assert "(0 created)" in second.getvalue()
    assert list(Product.objects.values_list("slug", "name", "trial_days")) == [("easyfacture", "EasyFacture Pro", 15)]


@pytest.mark.django_db
def test_seed_demo_still_creates_demo_data_and_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    counts = (Product.objects.count(), License.objects.count(), ActivationCode.objects.count())
    call_command("seed_demo", stdout=(out := io.StringIO()), stderr=io.StringIO())

    assert counts[0] == 1 and counts[1] == 5 and counts[2] >= 4
    assert (Product.objects.count(), License.objects.count(), ActivationCode.objects.count()) == counts
    assert "Codes d'activation EasyFacture à essayer" in out.getvalue()
