from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensesConfig(AppConfig):
    name = "licenses"
    verbose_name = _("Licences EasyFacture")
    # The permissions the admin API checks (each endpoint its own, licenses.permissions):
    # holding any of them gets a staff token (accounts.permissions).
    api_permissions = [
        "licenses.view_license",
        "licenses.revoke_license",
        "licenses.reinstate_license",
        "licenses.generate_activation_codes",
        "licenses.view_license_stats",
    ]

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
