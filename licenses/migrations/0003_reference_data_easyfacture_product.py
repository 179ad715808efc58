"""The EasyFacture product, which every production install needs (reference data;
demo licenses and codes stay in `seed_demo`). Idempotent; `setup_reference_data`
runs the same function."""

from django.db import migrations


def create_reference_data(apps, schema_editor):
    from licenses import reference_data

    reference_data.setup(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ("licenses", "0002_event_user_agent_label"),
    ]

    operations = [
        # Reversing keeps the product: licenses may already point at it (PROTECT).
        migrations.RunPython(create_reference_data, migrations.RunPython.noop),
    ]
