from django.db import migrations, models

# Rolled back past this point, the answers table and the version column go: their
# triggers (installed after migrate by tracking.answers) would make every write fail.
DROP_TRIGGERS = """
DO $$
DECLARE found record;
BEGIN
  FOR found IN SELECT tgrelid::regclass AS rel FROM pg_trigger WHERE tgname = 'tracking_answers' LOOP
    EXECUTE 'DROP TRIGGER tracking_answers ON ' || found.rel::text;
  END LOOP;
END $$;
"""


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0004_public_answers"),
    ]

    operations = [
        # A process of the version before, still serving during a deploy, creates tracking
        # rows without the column: the database gives it its value.
        migrations.AlterField(
            model_name="trackeditem",
            name="answer_version",
            field=models.BigIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(migrations.RunPython.noop, drop_triggers),
    ]
