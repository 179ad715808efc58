from decimal import ROUND_DOWN, Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import ClientFieldsMixin, date_input, no_earlier_than_today
from core.money import CURRENCY_CHOICES, CURRENCY_SYMBOLS, ZERO_DECIMAL_CURRENCIES, format_money

from .models import Revision, RevisionMedia
from .quote_links import MAX_TOKEN_LENGTH


class RevisionRequestForm(ClientFieldsMixin, forms.Form):
    vehicle_make = forms.CharField(label=_("Marque"), max_length=60)
    vehicle_model = forms.CharField(label=_("Modèle"), max_length=60)
    vehicle_year = forms.IntegerField(label=_("Année"), min_value=1950)
    vehicle_plate = forms.CharField(
        label=_("Immatriculation"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    mileage = forms.IntegerField(label=_("Kilométrage (km)"), min_value=0, max_value=2_000_000)
    problem_description = forms.CharField(
        label=_("Problème constaté"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    preferred_date = forms.DateField(label=_("Date souhaitée"), required=False, widget=date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        no_earlier_than_today(self.fields["preferred_date"])
        self.fields["vehicle_year"].widget.attrs["max"] = timezone.localdate().year + 1

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
    # In `currency` units. No min_value: its message would read "≥ 0,01" even in FCFA.
    amount = forms.DecimalField(
        label=_("Montant du devis"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Ce montant sera communiqué au client."),
    )
    currency = forms.ChoiceField(label=_("Devise"), choices=CURRENCY_CHOICES, initial="XOF")
    interventions = forms.CharField(
        label=_("Interventions prévues"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    parts = forms.CharField(label=_("Pièces nécessaires"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # A quote goes by e-mail and SMS; a status change (tracking.forms.StatusForm) by e-mail only.
    notify = forms.BooleanField(label=_("Prévenir le client par e-mail et SMS"), required=False, initial=True)

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError(_("Le montant du devis doit être supérieur à zéro."))
        return amount

    def clean(self):
        data = super().clean()
        amount, currency = data.get("amount"), data.get("currency")
        # The franc CFA has no cents: 150000.50 FCFA cannot be written on a quote.
        if amount is not None and currency in ZERO_DECIMAL_CURRENCIES and amount != amount.to_integral_value():
            message = _("Pas de centimes en %(currency)s : indiquez un montant entier, par exemple %(example)s.")
            symbol = CURRENCY_SYMBOLS.get(currency, currency)
            example = format_money(amount.to_integral_value(rounding=ROUND_DOWN), currency)
            self.add_error("amount", message % {"currency": symbol, "example": example})
        return data

    @classmethod
    def for_revision(cls, revision: Revision, data=None):
        amount = revision.quote_amount
        if amount is not None and revision.quote_currency in ZERO_DECIMAL_CURRENCIES:
            amount = amount.to_integral_value()  # "150000", not "150000.00", in the field
        initial = {
            "diagnostic": revision.diagnostic,
            "amount": amount,
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


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one <input type=file multiple>; cleaned to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(one, initial) for one in files]


class MediaUploadForm(forms.Form):
    """Staff attach photos and videos to a revision (admin). The files are only handed
    to revisions.services.revision_media_add, which decides their type by content."""

    files = MultipleFileField(
        label=_("Photos ou vidéos"),
        help_text=_(
            "Photos JPEG, PNG ou WebP (%(image)s Mo au plus), vidéos MP4 ou WebM (%(video)s Mo au plus). "
            "Plusieurs fichiers à la fois possibles."
        ),
        widget=MultipleFileInput(
            # A hint for the file picker only. Without HEIC listed, iPhones send their
            # photos as JPEG.
            attrs={"accept": "image/jpeg,image/png,image/webp,video/mp4,video/webm,video/quicktime"}
        ),
    )
    label = forms.ChoiceField(label=_("Étiquette"), choices=RevisionMedia.Label.choices)
    caption = forms.CharField(
        label=_("Légende"),
        required=False,
        max_length=200,
        help_text=_("Facultative, la même pour chaque fichier envoyé ensemble. Visible par le client."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text %= {
            "image": settings.REVISION_MEDIA_IMAGE_MAX_BYTES // 2**20,
            "video": settings.REVISION_MEDIA_VIDEO_MAX_BYTES // 2**20,
        }
