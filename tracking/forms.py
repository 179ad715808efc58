from django import forms
from django.utils.translation import gettext_lazy as _


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Nouveau statut"))
    note = forms.CharField(
        label=_("Note visible par le client"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    notify = forms.BooleanField(label=_("Prévenir le client par e-mail"), required=False, initial=True)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        # Nothing preselected: the first allowed status is often "Annulé", one click on
        # "Enregistrer" must not cancel a customer's request.
        self.fields["to_status"].choices = [("", "---------"), *choices]
