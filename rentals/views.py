from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core import limits
from core.errors import RateLimited
from core.origin import Origin
from core.views import form_rate_limited
from tracking.shortcuts import remember_number

from .forms import RentalForm
from .models import RentalVehicle
from .services import VehicleUnavailable, rental_create

TEMPLATE = "rentals/request_form.html"


def _context(form: RentalForm) -> dict:
    fleet = list(RentalVehicle.objects.filter(is_active=True))
    rates = {str(v.pk): [str(v.daily_rate), v.currency] for v in fleet}
    return {"form": form, "fleet": fleet, "rates": rates}


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    form = RentalForm(request.POST or None, initial={"vehicle": request.GET.get("vehicle")})
    if request.method != "POST":
        return render(request, TEMPLATE, _context(form))
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
