"""No vehicle can be booked twice for overlapping dates, enforced by PostgreSQL.

An exclusion constraint over (vehicle, daterange(start, end, '[]')) among the rentals
that hold the car. It is PostgreSQL-only (btree_gist + GiST), so this migration does
nothing on SQLite, where the demo relies on SQLite's single writer and the service's
overlap check.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE rentals_rental ADD CONSTRAINT rental_no_overlap EXCLUDE USING gist (
    vehicle_id WITH =,
    daterange(start_date, end_date, '[]') WITH &&
) WHERE (status IN ('en_attente', 'confirmee', 'en_cours'));
"""
DROP = "ALTER TABLE rentals_rental DROP CONSTRAINT IF EXISTS rental_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("rentals", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
