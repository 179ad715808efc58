from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_http_methods

from core import limits, microcache
from core.errors import RateLimited
from core.fragments import cached_piece, render_piece
from core.money import CURRENCY_SYMBOLS, ZERO_DECIMAL_CURRENCIES
from core.origin import Origin
from core.views import form_rate_limited
from tracking.shortcuts import remember_number

from .forms import RentalForm
from .selectors import FLEET_VERSION, fleet_for_booking
from .services import VehicleUnavailable, rental_create

TEMPLATE = "rentals/request_form.html"


def _context(form: RentalForm) -> dict:
    fleet = fleet_for_booking()
    # For the live price preview and the "already booked" warning (rental.js).
    cars = {
        str(car.vehicle.pk): {
            "rate": str(car.daily_rate.amount),
            "currency": car.daily_rate.currency,
            "booked": [[start.isoformat(), end.isoformat()] for start, end in car.booked],
        }
        for car in fleet
    }
    return {"form": form, "fleet": fleet, "cars": cars, "preview_text": _preview_text()}


def _preview_text() -> dict:
    """The words rental.js needs, translated here (the script has no catalogue)."""
    return {
        # Both forms: the script picks one with Intl.PluralRules for the page's language.
        "days": {"one": gettext("%(n)s jour"), "other": gettext("%(n)s jours")},
        "booked": gettext(
            "Ce véhicule est déjà réservé du %(start)s au %(end)s : choisissez d'autres dates ou un autre véhicule."
        ),
        "symbols": CURRENCY_SYMBOLS,
        "zero_decimal": sorted(ZERO_DECIMAL_CURRENCIES),
    }


FORM_PIECE_SECONDS = 3600


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    vehicle = request.GET.get("vehicle", "")
    if request.method != "POST" and vehicle:
        # A car preselected from its card (?vehicle=): built each time, never cached, so
        # that nobody can fill the cache with forms for made-up query strings.
        return render(request, TEMPLATE, _context(RentalForm(initial={"vehicle": vehicle})))
    if request.method != "POST":
        # The empty form with the fleet and its booked days: rendered once per language
        # and day, again after any booking or fleet change (FLEET_VERSION).
        piece = cached_piece(
            request,
            key=f"rentals:form:{get_language()}:{timezone.localdate().isoformat()}",
            build=lambda: render_piece("rentals/_request_form.html", _context(RentalForm())),
            timeout=FORM_PIECE_SECONDS,
            version_key=FLEET_VERSION,
            local=microcache.public,
        )
        return render(request, TEMPLATE, {"piece": piece})
    form = RentalForm(request.POST)
    try:
        limits.public_form_attempt(request)
        if not form.is_valid():
            return render(request, TEMPLATE, _context(form), status=400)
        contact = {"email": form.cleaned_data["client_email"], "phone": form.cleaned_data["client_phone"]}
        limits.public_form_check_contact(request, **contact)
    except RateLimited as exc:
        return form_rate_limited(request, TEMPLATE, _context(form), exc)
    try:
        rental = rental_create(**form.cleaned_data, origin=Origin.from_request(request))
    except VehicleUnavailable as exc:
        form.add_error(None, exc.message)
        return render(request, TEMPLATE, _context(form), status=400)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return render(request, TEMPLATE, _context(form), status=400)
    limits.public_form_count_success(request, **contact)
    number = rental.tracking.number
    return remember_number(request, redirect("tracking:confirmation", number=number), number)
