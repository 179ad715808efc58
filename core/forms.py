import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_PHONE = re.compile(r"^\+?[0-9]{6,15}$")


class ClientFieldsMixin(forms.Form):
    """The contact fields every public request form asks for, with the attributes that
    let a phone fill them in (autocomplete) and show the right keyboard (type, inputmode)."""

    client_name = forms.CharField(
        label=_("Nom complet"), max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    client_email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    client_phone = forms.CharField(
        label=_("Téléphone"),
        max_length=32,
        help_text=_("Avec l'indicatif, par ex. +221 77 123 45 67"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_client_phone(self) -> str:
        phone = re.sub(r"[\s.\-()]", "", self.cleaned_data["client_phone"])
        if phone.startswith("00"):
            phone = "+" + phone[2:]
        if not _PHONE.match(phone):
            raise forms.ValidationError(_("Numéro de téléphone invalide."))
        return phone


def date_input(**attrs) -> forms.DateInput:
    """A native date picker (ISO value, as the browser sends it)."""
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")


def no_earlier_than_today(*fields: forms.Field) -> None:
    """Set the date pickers' `min` to today (site time zone): past days are greyed out
    on the phone instead of refused after sending. Called per request: "today" moves."""
    today = timezone.localdate().isoformat()
    for field in fields:
        field.widget.attrs["min"] = today
