from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the deactivation hook
        from .customer_views import requests_menu_item
        from .menu import register_menu_item
        from .roles import register_home
        from .selectors import is_customer

        # A customer's home is "Mes demandes", linked from their header too.
        register_home(is_customer, "accounts:requests")
        register_menu_item(requests_menu_item)
