from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Ticket
from .services import BODY_MAX, SUBJECT_MAX


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several files at once; their type and size are checked by the service (by content)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/jpeg,image/png,image/webp,application/pdf")

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(FilesField, self).clean(f, initial) for f in files]


def files_help() -> str:
    return _("Photos (JPEG, PNG, WebP) ou PDF, %(size)s Mo au plus chacun, %(count)s fichiers au plus.") % {
        "size": settings.SUPPORT_ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "count": settings.SUPPORT_ATTACHMENT_MAX_FILES,
    }


class ContactForm(forms.Form):
    name = forms.CharField(
        label=_("Nom complet"), max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(
        label=_("Téléphone (facultatif)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    category = forms.ChoiceField(label=_("Catégorie"), choices=Ticket.Category.choices, initial=Ticket.Category.GENERAL)
    subject = forms.CharField(label=_("Sujet"), max_length=SUBJECT_MAX)
    message = forms.CharField(label=_("Message"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 6}))
    files = FilesField(label=_("Pièces jointes"))
    # The honeypot: hidden from people (CSS and aria-hidden), filled by bots.
    website = forms.CharField(
        required=False,
        label=_("Ne pas remplir"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = files_help()

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())


class MessageForm(forms.Form):
    """A message from a tracking page (a question, or a reply to the ticket)."""

    body = forms.CharField(label=_("Votre message"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    files = FilesField(label=_("Pièces jointes"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = files_help()
