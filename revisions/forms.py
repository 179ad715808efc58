from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import ClientFieldsMixin
from core.money import CURRENCY_CHOICES

from .models import Revision
from .quote_links import MAX_TOKEN_LENGTH


class RevisionRequestForm(ClientFieldsMixin, forms.Form):
    vehicle_make = forms.CharField(label=_("Marque"), max_length=60)
    vehicle_model = forms.CharField(label=_("Modèle"), max_length=60)
    vehicle_year = forms.IntegerField(label=_("Année"), min_value=1950)
    vehicle_plate = forms.CharField(label=_("Immatriculation"), max_length=20)
    mileage = forms.IntegerField(label=_("Kilométrage (km)"), min_value=0, max_value=2_000_000)
    problem_description = forms.CharField(
        label=_("Problème constaté"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    preferred_date = forms.DateField(
        label=_("Date souhaitée"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_vehicle_year(self) -> int:
        year = self.cleaned_data["vehicle_year"]
        if year > timezone.localdate().year + 1:
            raise forms.ValidationError(_("Année invalide."))
        return year

    def clean_preferred_date(self):
        value = self.cleaned_data.get("preferred_date")
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("La date souhaitée ne peut pas être dans le passé."))
        return value


class QuoteForm(forms.Form):
    diagnostic = forms.CharField(label=_("Diagnostic technique"), widget=forms.Textarea(attrs={"rows": 4}))
    amount = forms.DecimalField(
        label=_("Montant du devis"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("Ce montant sera communiqué au client."),
    )
    currency = forms.ChoiceField(label=_("Devise"), choices=CURRENCY_CHOICES, initial="XOF")
    interventions = forms.CharField(
        label=_("Interventions prévues"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    parts = forms.CharField(label=_("Pièces nécessaires"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    notify = forms.BooleanField(label=_("Notifier le client (e-mail et SMS)"), required=False, initial=True)

    @classmethod
    def for_revision(cls, revision: Revision, data=None):
        initial = {
            "diagnostic": revision.diagnostic,
            "amount": revision.quote_amount,
            "currency": revision.quote_currency,
            "interventions": revision.planned_interventions,
            "parts": revision.needed_parts,
            "notify": True,
        }
        return cls(data=data, initial=initial)


class QuoteDecisionForm(forms.Form):
    """What the tracking page posts to answer a quote (see `quote_links`)."""

    decision = forms.ChoiceField(choices=[("accept", "accept"), ("decline", "decline")])
    # The quote version the page showed; bounded so a hostile number stays a form error.
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    token = forms.CharField(max_length=MAX_TOKEN_LENGTH)
    # The accept confirmation step was shown and confirmed.
    confirm = forms.BooleanField(required=False)
