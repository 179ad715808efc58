from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.money import CURRENCY_CHOICES, Money
from tracking.models import Trackable


class RentalVehicle(models.Model):
    """A car of the rental fleet."""

    name = models.CharField(_("nom"), max_length=80, help_text=_("Nom affiché, par ex. « Toyota Yaris automatique »"))
    make = models.CharField(_("marque"), max_length=60)
    model = models.CharField(_("modèle"), max_length=60)
    plate = models.CharField(_("immatriculation"), max_length=20, unique=True)
    seats = models.PositiveSmallIntegerField(_("places"), default=5)
    # Price per day in `currency` units.
    daily_rate = models.DecimalField(_("tarif journalier"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3, choices=CURRENCY_CHOICES, default="XOF")
    is_active = models.BooleanField(_("proposé à la location"), default=True)

    class Meta:
        verbose_name = _("véhicule de location")
        verbose_name_plural = _("flotte de location")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=models.Q(daily_rate__gt=0), name="rentalvehicle_rate_positive")]

    def __str__(self) -> str:
        return self.name


class Rental(Trackable):
    class Status(models.TextChoices):
        EN_ATTENTE = "en_attente", _("Reçue")
        CONFIRMEE = "confirmee", _("Confirmée")
        EN_COURS = "en_cours", _("En cours")
        TERMINEE = "terminee", _("Terminée")
        ANNULEE = "annulee", _("Annulée")
        # Not confirmed by staff within RENTAL_HOLD_HOURS: the dates are free again.
        EXPIREE = "expiree", _("Expirée")

    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.EN_ATTENTE)
    vehicle = models.ForeignKey(
        RentalVehicle, on_delete=models.PROTECT, related_name="rentals", verbose_name=_("véhicule")
    )
    # Both days included: the car is out from the morning of start_date to the evening of end_date.
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    pickup_place = models.CharField(_("lieu de prise en charge"), max_length=120)
    client_name = models.CharField(_("nom du client"), max_length=120)
    client_email = models.EmailField(_("e-mail"))
    client_phone = models.CharField(_("téléphone"), max_length=32)
    days = models.PositiveSmallIntegerField(_("jours"))
    # Snapshot of the vehicle's rate at booking time, in `currency` units.
    daily_rate = models.DecimalField(_("tarif journalier"), max_digits=10, decimal_places=2)
    total_amount = models.DecimalField(_("montant total"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3, choices=CURRENCY_CHOICES, default="XOF")

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="rental_dates_ordered"
            ),
            models.CheckConstraint(condition=models.Q(total_amount__gt=0), name="rental_total_positive"),
            # The no-double-booking exclusion constraint is PostgreSQL-only; it is added by
            # migration 0002 (see there) so that the SQLite demo can still migrate.
        ]
        indexes = [
            models.Index(fields=["vehicle", "start_date", "end_date"]),
            # "Mes demandes" (tracking.selectors.items_for_email): UPPER(client_email) = UPPER(%s).
            models.Index(models.functions.Upper("client_email"), name="rental_email_upper"),
        ]

    def __str__(self) -> str:
        return f"{self.tracking.number} · {self.vehicle}"

    @property
    def hold_until(self):
        """When a request staff have not confirmed expires (the cutoff of
        services.rentals_expire_holds, seen from the request)."""
        return self.created_at + timedelta(hours=settings.RENTAL_HOLD_HOURS)

    @property
    def daily_rate_money(self) -> Money:
        return Money(self.daily_rate, self.currency)


# Statuses that hold the car. Must match the condition of the exclusion constraint
# (migration 0002); ANNULEE, TERMINEE and EXPIREE free the dates.
BLOCKING = [Rental.Status.EN_ATTENTE, Rental.Status.CONFIRMEE, Rental.Status.EN_COURS]
