"""The marketplace pages' forms: they check the shape of what was typed; the rules
(amount limits, duplicates, the deposit) stay in the services, whose LeadError the
views put back on these forms (leads.views.common.form_error)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.forms import NewAccountForm

from .accounts import INFLUENCER, MERCHANT
from .models import Lead

RATINGS = [(str(n), str(n)) for n in range(1, 11)]


def _tel(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", **attrs})


def _amount(**attrs) -> forms.TextInput:
    # Text with a decimal keyboard: "1 500,50" is accepted (the services parse it).
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", **attrs})


class SignupForm(NewAccountForm):
    role = forms.ChoiceField(
        label=_("Je suis"),
        choices=[(MERCHANT, _("Marchand")), (INFLUENCER, _("Influenceur"))],
        widget=forms.RadioSelect,
        initial=MERCHANT,
    )
    username = forms.CharField(
        label=_("Identifiant"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Nom de l'entreprise ou nom public"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    phone = forms.CharField(
        label=_("Téléphone"), max_length=32, required=False, widget=_tel(placeholder="+212 6 12 34 56 78")
    )

    field_order = ["role", "username", "email", "password1", "password2", "name", "phone"]


class ValidateLeadForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=pgettext_lazy("rating out of 10", "Note"), choices=RATINGS, coerce=int, initial="8"
    )
    feedback = forms.CharField(
        label=_("Retour (facultatif)"), required=False, max_length=2000, widget=forms.TextInput()
    )


class RejectLeadForm(forms.Form):
    reason = forms.CharField(label=_("Motif du rejet"), max_length=2000, widget=forms.TextInput())


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Nom de la campagne"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RechargeForm(forms.Form):
    """A preset (LEADS_RECHARGE_PRESETS) or a custom amount; the custom one wins when typed."""

    preset = forms.ChoiceField(label=_("Montant"), required=False, widget=forms.RadioSelect)
    custom = forms.CharField(
        label=_("Autre montant (dhs)"), required=False, max_length=20, widget=_amount(placeholder="7500")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .money import money

        presets = settings.LEADS_RECHARGE_PRESETS
        self.fields["preset"].choices = [(str(amount), str(money(amount))) for amount in presets]
        self.fields["preset"].initial = str(presets[len(presets) // 2]) if presets else None
        self.fields["custom"].help_text = _("Entre %(min)s et %(max)s.") % {
            "min": money(settings.LEADS_RECHARGE_MIN),
            "max": money(settings.LEADS_RECHARGE_MAX),
        }

    def clean(self):
        data = super().clean()
        data["amount"] = (data.get("custom") or "").strip() or data.get("preset") or ""
        if not data["amount"]:
            raise forms.ValidationError(_("Choisissez un montant."))
        return data


class CampaignChoiceField(forms.TypedChoiceField):
    """The active campaigns to choose from; any campaign id is let through, so that
    one paused since the page was loaded gets the service's clear CAMPAIGN_PAUSED."""

    def valid_value(self, value) -> bool:
        return str(value).isdigit()


class LeadCreateForm(forms.Form):
    campaign = CampaignChoiceField(label=_("Campagne"), coerce=int, empty_value=None)
    client_name = forms.CharField(
        label=_("Nom complet du client"), max_length=120, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    client_email = forms.EmailField(
        label=_("E-mail du client"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    client_phone = forms.CharField(
        label=_("Téléphone du client"), max_length=32, required=False, widget=_tel(autocomplete="off")
    )
    company = forms.CharField(label=_("Entreprise"), max_length=120, required=False)
    estimated_value = forms.CharField(
        label=_("Valeur estimée (dhs)"), max_length=20, widget=_amount(placeholder="1500")
    )
    source = forms.ChoiceField(label=_("Source"), choices=Lead.Source.choices, initial=Lead.Source.INSTAGRAM)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", _("Choisissez une campagne"))] + [
            (campaign.pk, f"{campaign.name} · {campaign.merchant.company_name}") for campaign in campaigns
        ]
        self.fields["client_email"].help_text = _("L'e-mail ou le téléphone du client est requis.")
        # The commission preview follows what is typed (leads.views.influencer.commission_preview).
        self.fields["estimated_value"].widget.attrs.update(
            {
                "hx-get": reverse("leads:commission_preview"),
                "hx-trigger": "input changed delay:300ms, change",
                "hx-target": "#commission-preview",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("client_email") and not data.get("client_phone", "").strip():
            self.add_error("client_email", _("Indiquez l'e-mail ou le téléphone du client."))
        return data


class BankDetailsForm(forms.Form):
    bank_holder = forms.CharField(label=_("Titulaire du compte"), max_length=120)
    bank_rib = forms.CharField(
        label=_("RIB / IBAN"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
    )

    def clean_bank_rib(self) -> str:
        rib = "".join(self.cleaned_data["bank_rib"].split()).upper()
        if not rib.isalnum() or len(rib) < 16:
            raise forms.ValidationError(_("RIB invalide : 24 chiffres (ou un IBAN)."))
        return rib


class PayoutForm(forms.Form):
    amount = forms.CharField(label=_("Montant (dhs)"), max_length=20, required=False, widget=_amount())
