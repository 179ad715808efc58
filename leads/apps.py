from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        from payments import registry

        from . import notices  # noqa: F401 - registers the notifications' messages
        from .payment_handler import RechargeHandler
        from .recharges import DOMAIN

        registry.register(DOMAIN, RechargeHandler())
