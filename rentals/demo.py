from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from core.seeding import DemoItem, DemoSeed

from .models import Rental, RentalVehicle
from .services import rental_create, rental_status_change
from .tracking import SERVICE

FLEET = [
    ("Toyota Yaris automatique", "Toyota", "Yaris", "DK-1001-LC", 5, Decimal("25000")),
    ("Hyundai Tucson 4x4", "Hyundai", "Tucson", "DK-1002-LC", 5, Decimal("45000")),
    ("Renault Clio", "Renault", "Clio", "DK-1003-LC", 5, Decimal("20000")),
    ("Toyota Hiace minibus", "Toyota", "Hiace", "DK-1004-LC", 14, Decimal("70000")),
]


def seed() -> DemoSeed:
    vehicles = {}
    for name, make, model, plate, seats, rate in FLEET:
        vehicles[plate], _created = RentalVehicle.objects.get_or_create(
            plate=plate, defaults={"name": name, "make": make, "model": model, "seats": seats, "daily_rate": rate}
        )
    email = "demo.loc@example.com"
    rental = Rental.objects.select_related("tracking").filter(client_email=email).first()
    if rental is None:
        start = timezone.localdate() + timedelta(days=7)
        rental = rental_create(
            vehicle=vehicles["DK-1002-LC"],
            start_date=start,
            end_date=start + timedelta(days=3),
            pickup_place="Aéroport AIBD, Dakar",
            client_name="Moussa Ndiaye",
            client_email=email,
            client_phone="+221701112233",
        )
        rental_status_change(
            rental=rental, to_status=Rental.Status.CONFIRMEE, note="Réservation confirmée, véhicule préparé."
        )
    hint = _("location confirmée ; essayez d'en réserver une autre sur /locations/")
    item = DemoItem(
        number=rental.tracking.number, service=str(SERVICE.label), state=rental.get_status_display(), hint=str(hint)
    )
    return DemoSeed(items=[item])
