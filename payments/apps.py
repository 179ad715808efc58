from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Online payments shared by every domain (leads' recharges, later the shop): the
    provider interface, the webhook endpoint, the event store and the registry through
    which a domain hears about its payments. This app never imports a domain: each
    domain registers its handler in its own AppConfig.ready() (payments.registry)."""

    name = "payments"
    verbose_name = _("Paiements en ligne")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
