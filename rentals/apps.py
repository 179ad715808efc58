from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RentalsConfig(AppConfig):
    name = "rentals"
    verbose_name = _("Locations")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tracking import registry

        from .models import Rental, RentalVehicle
        from .selectors import fleet_changed_receiver
        from .tracking import SERVICE

        registry.register(SERVICE)
        # A new booking, an admin edit of one, a car added or changed: the booking form's
        # cached fleet is rendered again (status changes call fleet_changed() themselves).
        for model in (Rental, RentalVehicle):
            for signal in (post_save, post_delete):
                signal.connect(fleet_changed_receiver, sender=model, dispatch_uid=f"rentals-fleet-{model.__name__}")
