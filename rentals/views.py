from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from core.http import ratelimit_key
from core.origin import Origin

from .forms import RentalForm
from .models import RentalVehicle
from .services import rental_create


@require_http_methods(["GET", "POST"])
@ratelimit(key=ratelimit_key, rate="10/h", method="POST", block=True, group="public-request-form")
def request_form(request: HttpRequest) -> HttpResponse:
    form = RentalForm(request.POST or None, initial={"vehicle": request.GET.get("vehicle")})
    if request.method == "POST" and form.is_valid():
        try:
            rental = rental_create(**form.cleaned_data, origin=Origin.from_request(request))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            return redirect("tracking:confirmation", number=rental.tracking.number)
    fleet = list(RentalVehicle.objects.filter(is_active=True))
    rates = {str(v.pk): [str(v.daily_rate), v.currency] for v in fleet}
    status = 400 if request.method == "POST" else 200
    return render(request, "rentals/request_form.html", {"form": form, "fleet": fleet, "rates": rates}, status=status)
