import re

from django import forms
from django.utils.translation import gettext_lazy as _

_PHONE = re.compile(r"^\+?[0-9]{6,15}$")


class ClientFieldsMixin(forms.Form):
    """The contact fields every public request form asks for."""

    client_name = forms.CharField(label=_("Nom complet"), max_length=120)
    client_email = forms.EmailField(label=_("E-mail"))
    client_phone = forms.CharField(
        label=_("Téléphone"), max_length=32, help_text=_("Avec l'indicatif, par ex. +221 77 123 45 67")
    )

    def clean_client_phone(self) -> str:
        phone = re.sub(r"[\s.\-()]", "", self.cleaned_data["client_phone"])
        if phone.startswith("00"):
            phone = "+" + phone[2:]
        if not _PHONE.match(phone):
            raise forms.ValidationError(_("Numéro de téléphone invalide."))
        return phone
