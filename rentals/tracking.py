from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from core.masking import mask_contacts
from core.money import Money
from tracking.registry import Customer, Step, TrackedService
from tracking.selectors import public_name

from .models import Rental

S = Rental.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    # EXPIREE is set by the hold-expiry beat job (rentals_expire_holds), never by hand.
    S.EN_ATTENTE: frozenset({S.CONFIRMEE, S.ANNULEE, S.EXPIREE}),
    S.CONFIRMEE: frozenset({S.EN_COURS, S.ANNULEE}),
    S.EN_COURS: frozenset({S.TERMINEE, S.ANNULEE}),
    S.TERMINEE: frozenset(),
    S.ANNULEE: frozenset(),
    S.EXPIREE: frozenset(),
}

# Cancelled and expired rentals are off the main path: the page shows how far they got.
STEPS = (
    Step("recue", _("Reçue"), frozenset({S.EN_ATTENTE})),
    Step("confirmee", _("Confirmée"), frozenset({S.CONFIRMEE})),
    Step("en_cours", _("En cours"), frozenset({S.EN_COURS})),
    Step("terminee", _("Terminée"), frozenset({S.TERMINEE})),
)


# History notes, by key (tracking.notes): each reader sees them in their language.
NOTES = {
    "rental.received": _("Demande de location reçue."),
    "rental.hold_expired": ngettext_lazy(
        "Demande non confirmée sous %(hours)s heure : elle a expiré et les dates sont libérées. "
        "Vous pouvez faire une nouvelle demande.",
        "Demande non confirmée sous %(hours)s heures : elle a expiré et les dates sont libérées. "
        "Vous pouvez faire une nouvelle demande.",
        "hours",
    ),
}


def details(rental: Rental) -> dict:
    return {
        "client": public_name(rental.client_name),
        "vehicle": {"name": rental.vehicle.name, "make": rental.vehicle.make, "model": rental.vehicle.model},
        "start_date": rental.start_date.isoformat(),
        "end_date": rental.end_date.isoformat(),
        "days": rental.days,
        # Typed by the customer: contact details in it are masked on the public page.
        "pickup_place": mask_contacts(rental.pickup_place),
        "daily_rate": Money(rental.daily_rate, rental.currency).as_json(),
    }


def expected_delay(rental: Rental) -> str:
    hours = settings.RENTAL_HOLD_HOURS
    return ngettext(
        "Notre équipe confirme votre location sous %(hours)s heure. Le véhicule vous est réservé d'ici là.",
        "Notre équipe confirme votre location sous %(hours)s heures. Le véhicule vous est réservé d'ici là.",
        hours,
    ) % {"hours": hours}


def changes_at(rental: Rental):
    """An unconfirmed request's hold ends (the beat job then expires it, which is a write)."""
    return rental.hold_until if rental.status == S.EN_ATTENTE else None


def customer(rental: Rental) -> Customer:
    return Customer(name=rental.client_name, email=rental.client_email, phone=rental.client_phone)


def quote(rental: Rental) -> Money:
    return Money(rental.total_amount, rental.currency)


SERVICE = TrackedService(
    prefix="LOC",
    label=_("Location de véhicule"),
    model=Rental,
    template="rentals/_tracking.html",
    status_choices=Rental.Status,
    transitions=TRANSITIONS,
    steps=STEPS,
    details=details,
    quote=quote,
    status_email="rentals/email/status",
    customer=customer,
    customer_email_field="client_email",
    select_related=("vehicle",),
    notes=NOTES,
    request_url="rentals:request",
    description=_("Choisissez un véhicule et vos dates : le prix est calculé tout de suite."),
    expected_delay=expected_delay,
    changes_at=changes_at,
)
