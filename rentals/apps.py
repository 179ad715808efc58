from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RentalsConfig(AppConfig):
    name = "rentals"
    verbose_name = _("Locations")

    def ready(self) -> None:
        from tracking import registry

        from .tracking import SERVICE

        registry.register(SERVICE)
