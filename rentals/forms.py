from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import ClientFieldsMixin, date_input, no_earlier_than_today

from .models import RentalVehicle


class VehicleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RentalVehicle) -> str:
        from core.money import format_money

        return gettext("%(name)s · %(rate)s / jour") % {
            "name": obj.name,
            "rate": format_money(obj.daily_rate, obj.currency),
        }


class RentalRequestForm(forms.Form):
    vehicle = VehicleChoiceField(label=_("Véhicule"), queryset=RentalVehicle.objects.filter(is_active=True))
    start_date = forms.DateField(label=_("Du"), widget=date_input())
    end_date = forms.DateField(label=_("Au (inclus)"), widget=date_input())
    pickup_place = forms.CharField(label=_("Lieu de prise en charge"), max_length=120)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        no_earlier_than_today(self.fields["start_date"], self.fields["end_date"])

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and start < timezone.localdate():
            self.add_error("start_date", _("La date de début ne peut pas être dans le passé."))
        if start and end and end < start:
            self.add_error("end_date", _("La date de fin doit suivre la date de début."))
        return data


class RentalForm(RentalRequestForm, ClientFieldsMixin):
    pass
