from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from rentals.models import RentalVehicle
from rentals.services import rental_create
from revisions.services import revision_create, revision_quote_send


class RentalVehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RentalVehicle

    name = factory.Sequence(lambda n: f"Toyota Yaris #{n}")
    make = "Toyota"
    model = "Yaris"
    plate = factory.Sequence(lambda n: f"DK-{1000 + n}-LC")
    daily_rate = Decimal("25000.00")
    currency = "XOF"


def make_revision(**overrides):
    """A revision created through the real service (tracking number, history, e-mail)."""
    data = {
        "client_name": "Jean-Marc Dupont",
        "client_email": "jean.dupont@example.com",
        "client_phone": "+221771234567",
        "vehicle_make": "Toyota",
        "vehicle_model": "Corolla",
        "vehicle_year": 2020,
        "vehicle_plate": "AB-123-CD",
        "mileage": 45000,
        "problem_description": "Bruit anormal au niveau du moteur",
        "preferred_date": timezone.localdate() + timedelta(days=2),
    }
    data.update(overrides)
    return revision_create(**data)


def make_quoted_revision(*, amount=Decimal("150000"), **overrides):
    """A revision whose quote was sent (not notified): diagnostic, two interventions, two parts."""
    return revision_quote_send(
        revision=make_revision(**overrides),
        diagnostic="Courroie de distribution usée",
        amount=amount,
        interventions="Remplacement courroie\nVidange",
        parts="Courroie\nFiltre à huile",
        notify=False,
    )


def rental_form_data(vehicle, *, start=None, days=2) -> dict:
    """What a customer posts to /locations/ for `vehicle` (start: in 3 days by default)."""
    start = start or timezone.localdate() + timedelta(days=3)
    return {
        "vehicle": vehicle.pk,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=days - 1)).isoformat(),
        "pickup_place": "Dakar Plateau",
        "client_name": "Ibrahima Fall",
        "client_email": "ib@example.com",
        "client_phone": "+221 70 123 45 67",
    }


def make_rental(vehicle=None, start_in_days=5, days=3, **overrides):
    vehicle = vehicle or RentalVehicleFactory()
    start = timezone.localdate() + timedelta(days=start_in_days)
    data = {
        "vehicle": vehicle,
        "start_date": start,
        "end_date": start + timedelta(days=days - 1),
        "pickup_place": "Aéroport AIBD",
        "client_name": "Awa Sarr",
        "client_email": "awa.sarr@example.com",
        "client_phone": "+221770000000",
    }
    data.update(overrides)
    return rental_create(**data)


REVISION_FORM = {
    "client_name": "Fatou Ndiaye",
    "client_email": "fatou@example.com",
    "client_phone": "+221 77 555 44 33",
    "vehicle_make": "Peugeot",
    "vehicle_model": "308",
    "vehicle_year": "2018",
    "vehicle_plate": "DK-9876-ZZ",
    "mileage": "98000",
    "problem_description": "Embrayage qui patine en côte.",
    "preferred_date": "",
}
