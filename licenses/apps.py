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

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
