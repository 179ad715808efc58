from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Plateforme")

    def ready(self):
        from .http import trusted_proxies

        # Parse TRUSTED_PROXIES now: a typo stops the server at startup with a clear
        # message instead of failing on every request.
        trusted_proxies()
