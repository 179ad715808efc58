from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.money import Money, quantize
from core.notify import notify_email, tracking_url
from core.origin import SYSTEM, Origin
from tracking.notes import Note
from tracking.services import status_change, status_change_many, tracked_fields_update, tracked_item_allocate

from .models import BLOCKING, Rental, RentalVehicle
from .selectors import fleet_changed

S = Rental.Status
OVERLAP_CONSTRAINT = "rental_no_overlap"
# deadlock_detected, serialization_failure: PostgreSQL aborted one of two racing writers.
RACE_SQLSTATES = {"40P01", "40001"}
MAX_DAYS = 90


class VehicleUnavailable(DomainError):
    """The car cannot be booked (withdrawn, or its dates are taken)."""

    def __init__(self, message: str):
        super().__init__("VEHICLE_UNAVAILABLE", message)


@dataclass(frozen=True)
class PriceQuote:
    days: int
    daily_rate: Money
    total: Money


def rental_price(*, vehicle: RentalVehicle, start_date: date, end_date: date) -> PriceQuote:
    """Days × daily rate; both dates are rental days (a same-day rental is one day)."""
    if end_date < start_date:
        raise ValidationError({"end_date": _("La date de fin doit suivre la date de début.")})
    days = (end_date - start_date).days + 1
    if days > MAX_DAYS:
        raise ValidationError({"end_date": _("Une location dure au plus %(n)s jours.") % {"n": MAX_DAYS}})
    rate = quantize(vehicle.daily_rate)
    return PriceQuote(days=days, daily_rate=Money(rate, vehicle.currency), total=Money(rate * days, vehicle.currency))


def _overlapping(*, vehicle: RentalVehicle, start_date: date, end_date: date):
    return Rental.objects.filter(
        vehicle=vehicle, status__in=BLOCKING, start_date__lte=end_date, end_date__gte=start_date
    )


def _is_race(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in RACE_SQLSTATES


@transaction.atomic
def rental_create(
    *,
    vehicle: RentalVehicle,
    start_date: date,
    end_date: date,
    pickup_place: str,
    client_name: str,
    client_email: str,
    client_phone: str,
    origin: Origin = SYSTEM,
) -> Rental:
    # Lock the car's row first: concurrent bookings of one car now run one after the
    # other, and the second one's overlap check sees the first booking. Without it both
    # INSERTs check the exclusion constraint against each other's uncommitted row and
    # PostgreSQL may abort one with "deadlock detected" instead of a clean refusal.
    vehicle = RentalVehicle.objects.select_for_update().get(pk=vehicle.pk)
    if not vehicle.is_active:
        raise VehicleUnavailable(_("Ce véhicule n'est plus proposé à la location."))
    if start_date < timezone.localdate():
        raise ValidationError({"start_date": _("La date de début ne peut pas être dans le passé.")})
    price = rental_price(vehicle=vehicle, start_date=start_date, end_date=end_date)
    unavailable = VehicleUnavailable(_("Ce véhicule est déjà réservé sur ces dates. Choisissez d'autres dates."))
    # Friendly early answer; the real guarantee is the exclusion constraint below.
    if _overlapping(vehicle=vehicle, start_date=start_date, end_date=end_date).exists():
        raise unavailable
    item = tracked_item_allocate(prefix="LOC", initial_status=S.EN_ATTENTE, note=Note("rental.received"), origin=origin)
    rental = Rental(
        tracking=item,
        vehicle=vehicle,
        start_date=start_date,
        end_date=end_date,
        pickup_place=pickup_place.strip(),
        client_name=client_name.strip(),
        client_email=client_email.strip().lower(),
        client_phone=client_phone.strip(),
        days=price.days,
        daily_rate=price.daily_rate.amount,
        total_amount=price.total.amount,
        currency=price.total.currency,
    )
    rental.full_clean()
    try:
        # The exclusion constraint is the guarantee if a writer ever skips the lock above
        # (a data fix, another service): the second INSERT then waits and fails.
        with transaction.atomic():
            rental.save()
    except IntegrityError as exc:
        if OVERLAP_CONSTRAINT in str(exc):
            raise unavailable from exc
        raise
    except OperationalError as exc:
        if _is_race(exc):
            raise unavailable from exc
        raise
    notify_email(
        key=f"rental:{rental.pk}:created:email",
        to=rental.client_email,
        template="rentals/email/created",
        context={
            "rental": rental,
            "number": item.number,
            "total": price.total,
            "url": tracking_url(item.number),
            "hold_hours": settings.RENTAL_HOLD_HOURS,
        },
        language=item.language,
    )
    return rental


# What staff may correct from the admin change form. The car and the dates are not
# among them: they set the price the customer was given and hold the car, so a change
# there is a new booking (cancel this one, book again).
RENTAL_EDITABLE = frozenset({"pickup_place", "client_name", "client_email", "client_phone"})


def rental_update(*, rental: Rental, changes: dict, origin: Origin) -> Rental:
    """Staff correct a booking's customer fields; the change is audited."""
    cleaned = dict(changes)
    if "client_email" in cleaned:
        cleaned["client_email"] = cleaned["client_email"].strip().lower()
    tracked_fields_update(obj=rental, changes=cleaned, editable=RENTAL_EDITABLE, origin=origin)
    return rental


def rental_status_change(
    *, rental: Rental, to_status: str, note: str = "", notify: bool = False, origin: Origin = SYSTEM
) -> Rental:
    status_change(obj=rental, to_status=to_status, note=note, notify=notify, origin=origin)
    if to_status not in BLOCKING:
        fleet_changed()  # its days are free on the booking form
    return rental


def rentals_expire_holds(*, now: datetime | None = None) -> int:
    """Expire the requests staff did not confirm within RENTAL_HOLD_HOURS, which frees
    their dates (EXPIREE is not a blocking status), and tell each customer once.

    Set-based and safe to run twice (the beat job runs every 15 minutes): see
    status_change_many. Returns the number of rentals expired.
    """
    hours = settings.RENTAL_HOLD_HOURS
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    expired = status_change_many(
        queryset=Rental.objects.filter(status=S.EN_ATTENTE, created_at__lte=cutoff),
        to_status=S.EXPIREE,
        note=Note("rental.hold_expired", {"hours": hours}),
        notify=True,
        origin=SYSTEM,
    )
    if expired:
        fleet_changed()  # their days are free on the booking form (after the batches committed)
    return expired


def rentals_confirm(*, rentals: models.QuerySet, origin: Origin) -> int:
    """Staff confirm pending bookings in bulk (each customer notified). Set-based, as the
    hold expiry: a row a colleague is changing right now, or that is no longer pending,
    is skipped instead of overwritten. Returns how many were confirmed (their days stay
    booked: the booking form does not change)."""
    return status_change_many(
        queryset=rentals.filter(status=S.EN_ATTENTE), to_status=S.CONFIRMEE, note="", notify=True, origin=origin
    )
