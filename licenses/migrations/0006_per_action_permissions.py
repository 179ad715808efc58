"""One permission per license action, the same in the admin and the admin API.

Before: the admin API and the statistics needed `manage_licenses`, the admin's revoke,
reinstate and extend actions needed `change_license`, code generation `add_activationcode`.
So that nobody loses a right at the upgrade, whoever held one of these (directly or
through a group) receives the per-action permissions for what it allowed. Then
`manage_licenses` is deleted: the admin shows no permission that grants nothing.
"""

from django.conf import settings
from django.db import migrations

GRANTS = {
    "manage_licenses": [
        "view_license",
        "revoke_license",
        "reinstate_license",
        "generate_activation_codes",
        "view_license_stats",
    ],
    "change_license": ["revoke_license", "reinstate_license", "extend_license"],
    "add_activationcode": ["generate_activation_codes"],
}
NAMES = {
    "view_license": "Can view licence",
    "revoke_license": "Peut révoquer une licence",
    "reinstate_license": "Peut rétablir une licence révoquée",
    "extend_license": "Peut prolonger une licence",
    "generate_activation_codes": "Peut générer des codes d'activation",
    "view_license_stats": "Peut voir les statistiques des licences",
}


def grant_per_action_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    old = {p.codename: p for p in Permission.objects.filter(content_type__app_label="licenses", codename__in=GRANTS)}
    if not old:  # a new database: nobody to carry over
        return
    # Permission rows are otherwise created after all migrations (post_migrate): the ones
    # granted here are created now, with the names Django would give them.
    license_type, _ = ContentType.objects.get_or_create(app_label="licenses", model="license")
    new = {
        codename: Permission.objects.get_or_create(
            content_type=license_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in NAMES.items()
    }
    for codename, permission in old.items():
        granted = [new[c] for c in GRANTS[codename]]
        for user in User.objects.filter(user_permissions=permission):
            user.user_permissions.add(*granted)
        for group in Group.objects.filter(permissions=permission):
            group.permissions.add(*granted)
    if "manage_licenses" in old:
        old["manage_licenses"].delete()


class Migration(migrations.Migration):
    dependencies = [
        ("licenses", "0005_webhook_delivery_no_response_body"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="license",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("revoke_license", "Peut révoquer une licence"),
                    ("reinstate_license", "Peut rétablir une licence révoquée"),
                    ("extend_license", "Peut prolonger une licence"),
                    ("generate_activation_codes", "Peut générer des codes d'activation"),
                    ("view_license_stats", "Peut voir les statistiques des licences"),
                ],
                "verbose_name": "licence",
                "verbose_name_plural": "licences",
            },
        ),
        migrations.RunPython(grant_per_action_permissions, migrations.RunPython.noop),
    ]
