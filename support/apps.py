from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support")

    # Checked by the staff endpoints of /api/tickets/ (accounts.permissions).
    api_permissions = ["support.view_ticket", "support.change_ticket"]

    # The staff pages listed under "Tableaux de bord" on the admin home (core.templatetags.platform).
    @property
    def dashboards(self):
        from core.templatetags.platform import Dashboard

        from .stats_views import VIEW_PERMISSION

        return (
            Dashboard(
                title=_("Statistiques du support"),
                url_name="support:stats",
                permission=VIEW_PERMISSION,
                links=((_("Exporter en CSV"), "support:stats-csv"),),
            ),
        )

    def ready(self) -> None:
        from tracking import registry

        from . import notices  # noqa: F401 - registers the notifications' messages
        from .targets import check_settings
        from .tracking import SERVICE, conversation_panel

        check_settings()
        registry.register(SERVICE)
        # "Poser une question" on every other request's tracking page.
        registry.register_panel(
            registry.Panel(key="support.conversation", template="support/_panel.html", load=conversation_panel)
        )
