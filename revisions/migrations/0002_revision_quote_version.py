from django.db import migrations, models


def number_sent_quotes(apps, schema_editor):
    # A quote sent before versions existed is its revision's first version, so the
    # link a customer asks for ("Renvoyer le lien") names version 1, not 0.
    Revision = apps.get_model("revisions", "Revision")
    Revision.objects.filter(quote_sent_at__isnull=False).update(quote_version=1)


class Migration(migrations.Migration):
    dependencies = [
        ("revisions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="quote_version",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="version du devis"),
        ),
        migrations.RunPython(number_sent_quotes, migrations.RunPython.noop),
    ]
