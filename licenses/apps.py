from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensesConfig(AppConfig):
    name = "licenses"
    verbose_name = _("Licences EasyFacture")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
