from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensesConfig(AppConfig):
    name = "licenses"
    verbose_name = _("Licences EasyFacture")

    # The permissions the admin API checks (each endpoint its own, licenses.permissions):
    # holding any of them gets a staff token (accounts.permissions).
    @property
    def api_permissions(self) -> tuple[str, ...]:
        from .permissions import API

        return API

    # The staff pages listed under "Tableaux de bord" on the admin home (core.templatetags.platform).
    @property
    def dashboards(self):
        from core.templatetags.platform import Dashboard

        from .permissions import VIEW_STATS

        return (
            Dashboard(
                title=_("Statistiques des licences"),
                url_name="licenses:stats",
                permission=VIEW_STATS,
                links=((_("Exporter en CSV"), "licenses:stats-csv"),),
            ),
        )

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import checks  # noqa: F401 - registers the system checks
        from .models import License
        from .state_cache import on_license_saved

        # Any saved or deleted license is read again by every process at its next
        # validation (licenses.state_cache): a revocation counts at once.
        post_save.connect(on_license_saved, sender=License, dispatch_uid="licenses-state-token")
        post_delete.connect(on_license_saved, sender=License, dispatch_uid="licenses-state-token-delete")
